package dev.hcsshim.windows;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** virtdisk.dll and computestorage.dll: creating and formatting scratch VHDs. */
public final class VirtDisk {
    private VirtDisk() {}

    static final int VIRTUAL_STORAGE_TYPE_DEVICE_VHDX = 3;
    static final int VIRTUAL_DISK_ACCESS_NONE = 0;
    static final int CREATE_VIRTUAL_DISK_VERSION_2 = 2;
    static final int CREATE_VIRTUAL_DISK_FLAG_NONE = 0;
    static final int ATTACH_VIRTUAL_DISK_VERSION_1 = 1;
    static final int ATTACH_VIRTUAL_DISK_FLAG_NO_DRIVE_LETTER = 0x2;
    /** The Microsoft vendor GUID of VIRTUAL_STORAGE_TYPE. */
    static final byte[] VENDOR_MICROSOFT = {(byte) 0xb8, 0x04, 0x5b, (byte) 0xec, 0x48, (byte) 0xe7, 0x2f, 0x40,
        (byte) 0x88, 0x1a, (byte) 0x93, 0x7e, 0x2b, (byte) 0xd9, 0x4b, 0x5b};

    @Structure.FieldOrder({"DeviceId", "VendorId"})
    public static class VirtualStorageType extends Structure {
        public int DeviceId;
        public byte[] VendorId = new byte[16];
    }

    interface Api extends Library {
        /** Returns a Win32 error code (0 = success). */
        int CreateVirtualDisk(VirtualStorageType type, char[] path, int mask, Pointer securityDescriptor, int flags,
                int providerSpecificFlags, Pointer parameters, Pointer overlapped, PointerByReference handle);

        int AttachVirtualDisk(Pointer handle, Pointer securityDescriptor, int flags, int providerSpecificFlags,
                Pointer parameters, Pointer overlapped);

        int DetachVirtualDisk(Pointer handle, int flags, int providerSpecificFlags);
    }

    interface ComputeStorage extends Library {
        int HcsFormatWritableLayerVhd(Pointer vhdHandle);
    }

    interface Closer extends Library {
        boolean CloseHandle(Pointer h);
    }

    private static final class Libs {
        static final Api VIRTDISK = NativeLibraries.load("virtdisk", Api.class);
        static final ComputeStorage STORAGE = NativeLibraries.load("computestorage", ComputeStorage.class);
        static final Closer K32 = NativeLibraries.load("kernel32", Closer.class);
    }

    /**
     * CREATE_VIRTUAL_DISK_PARAMETERS version 2, x64 layout: Version, UniqueId, MaximumSize,
     * BlockSizeInBytes, SectorSizeInBytes, PhysicalSectorSizeInBytes, ParentPath, SourcePath, ...
     */
    static Memory createParamsV2(long maxSizeBytes) {
        Memory m = new Memory(96);
        m.clear();
        m.setInt(0, CREATE_VIRTUAL_DISK_VERSION_2);
        m.setLong(24, maxSizeBytes); // after Version (4, padded to 8) and the 16-byte UniqueId
        return m;
    }

    /** Creates a VHDX of {@code sizeGB} and formats it NTFS (hcsoci.CreateNTFSVHD). */
    public static void createNtfsVhd(String vhdPath, int sizeGB) throws IOException {
        VirtualStorageType t = new VirtualStorageType();
        t.DeviceId = VIRTUAL_STORAGE_TYPE_DEVICE_VHDX;
        t.VendorId = VENDOR_MICROSOFT.clone();
        PointerByReference h = new PointerByReference();
        int rc = Libs.VIRTDISK.CreateVirtualDisk(t, Win32Pipes.wide(vhdPath), VIRTUAL_DISK_ACCESS_NONE, null,
                CREATE_VIRTUAL_DISK_FLAG_NONE, 0, createParamsV2((long) sizeGB << 30), null, h);
        if (rc != 0) throw new IOException("failed to create VHD " + vhdPath + ": win32 error " + rc);
        try {
            Memory attach = new Memory(8);
            attach.clear();
            attach.setInt(0, ATTACH_VIRTUAL_DISK_VERSION_1);
            rc = Libs.VIRTDISK.AttachVirtualDisk(h.getValue(), null, ATTACH_VIRTUAL_DISK_FLAG_NO_DRIVE_LETTER, 0, attach, null);
            if (rc != 0) throw new IOException("failed to attach VHD " + vhdPath + ": win32 error " + rc);
            try {
                int hr = Libs.STORAGE.HcsFormatWritableLayerVhd(h.getValue());
                if (hr < 0) throw new IOException("failed to format VHD " + vhdPath + ": HRESULT " + String.format("0x%08x", hr));
            } finally {
                Libs.VIRTDISK.DetachVirtualDisk(h.getValue(), 0, 0);
            }
        } finally {
            Libs.K32.CloseHandle(h.getValue());
        }
    }

    /** A VHD that is deleted when released (hcsoci.AutoManagedVHD). */
    public static final class AutoManagedVhd implements dev.hcsshim.hcsoci.ResourceCloser {
        private final Path hostPath;

        public AutoManagedVhd(Path hostPath) {
            this.hostPath = hostPath;
        }

        public Path hostPath() {
            return hostPath;
        }

        @Override
        public void release() throws IOException {
            Files.deleteIfExists(hostPath);
        }
    }
}
