package dev.hcsshim.ttrpc;

import com.google.protobuf.StringValue;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCalls;

/** Public bridge for tests in other packages. */
public final class TestServices {
    private TestServices() {}

    /** {@code <service>/Echo}: StringValue in, "echo:" + value out. */
    public static ServerMethodDefinition<StringValue, StringValue> echo(String service) {
        return ServerMethodDefinition.create(
                TestService.unary(service, "Echo", StringValue.getDefaultInstance(), StringValue.getDefaultInstance()),
                ServerCalls.asyncUnaryCall((req, obs) -> {
                    obs.onNext(StringValue.of("echo:" + req.getValue()));
                    obs.onCompleted();
                }));
    }
}
