package dev.hcsshim.hcsoci;

import dev.hcsshim.cow.ProcessHost;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Runs a diagnostic command in a utility VM with the caller's stdio pipes (shimdiag exec). */
public final class ExecInUvm {
    private ExecInUvm() {}

    /** shimdiag's ExecProcessRequest. */
    public record Request(List<String> args, String workdir, boolean terminal, String stdin, String stdout,
            String stderr) {}

    /** Returns the exit code; a non-zero exit is a result here, not an error. */
    public static int exec(CompletionStage<?> context, ProcessHost vm, Request req, UpstreamIO.Opener io)
            throws IOException, InterruptedException {
        if (req.args() == null || req.args().isEmpty()) throw new IllegalArgumentException("missing command");
        try (UpstreamIO np = io.open(req.stdin(), req.stdout(), req.stderr(), req.terminal())) {
            Cmd cmd = Cmd.commandContext(context, vm, req.args().get(0),
                    req.args().subList(1, req.args().size()).toArray(String[]::new));
            if (req.workdir() != null && !req.workdir().isEmpty()) cmd.spec.cwd = req.workdir();
            if ("windows".equals(vm.os())) cmd.spec.user.username = "NT AUTHORITY\\SYSTEM";
            cmd.spec.terminal = req.terminal();
            cmd.stdin = np.stdin();
            cmd.stdout = np.stdout();
            cmd.stderr = np.stderr();
            try {
                cmd.run();
            } catch (ExitError e) {
                return e.exitCode();
            }
            return cmd.exitState.exitCode();
        }
    }
}
