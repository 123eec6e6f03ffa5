package dev.hcsshim;

import dev.hcsshim.nativeimage.NativeImage;
import dev.hcsshim.shim.ShimMain;
import dev.hcsshim.shim.linux.MountHelper;
import dev.hcsshim.shimdiag.ShimDiagMain;
import java.util.Arrays;

/**
 * The native executable's entry point. One image is both programs, chosen by the name it was
 * started as: {@code shimdiag} (a link to the shim in dist/bin) or {@code containerd-shim-runhcs-v1}.
 * The shim daemon also starts it as {@code shimdiag share}'s mount helper.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        NativeImage.configure();
        if (NativeImage.invokedName().equals("shimdiag")) {
            ShimDiagMain.main(args);
        } else if (args.length > 0 && args[0].equals(MountHelper.COMMAND)) {
            MountHelper.main(Arrays.copyOfRange(args, 1, args.length));
        } else {
            ShimMain.main(args);
        }
    }
}
