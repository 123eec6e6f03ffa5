package dev.hcsshim.windows;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.jna.Memory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtDiskTest {
    @TempDir
    Path dir;

    @Test
    void autoManagedVhdIsDeletedOnReleaseOnce() throws Exception {
        Path vhd = Files.writeString(dir.resolve("scratch.vhdx"), "x");
        VirtDisk.AutoManagedVhd a = new VirtDisk.AutoManagedVhd(vhd);
        a.release();
        assertFalse(Files.exists(vhd));
        a.release(); // already gone is fine
    }

    @Test
    void createParametersV2Layout() {
        Memory m = VirtDisk.createParamsV2(20L << 30);
        assertEquals(2, m.getInt(0), "Version");
        assertEquals(0, m.getLong(8), "UniqueId left zero: virtdisk picks one");
        assertEquals(20L << 30, m.getLong(24), "MaximumSize after the 8-aligned union's GUID");
        assertEquals(16, VirtDisk.VENDOR_MICROSOFT.length);
    }
}
