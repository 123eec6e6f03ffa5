package dev.hcsshim.ttrpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;

/**
 * Serves a service under a second name with the same handlers and marshallers
 * (containerd 2.x calls {@code containerd.task.v3.Task}, byte-identical to v2).
 */
public final class ServiceAlias {
    private ServiceAlias() {}

    public static ServerServiceDefinition rename(ServerServiceDefinition service, String newServiceName) {
        ServiceDescriptor.Builder desc = ServiceDescriptor.newBuilder(newServiceName);
        ServerServiceDefinition.Builder out = null;
        java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            ServerMethodDefinition<?, ?> renamed = renameMethod(m, newServiceName);
            desc.addMethod(renamed.getMethodDescriptor());
            methods.add(renamed);
        }
        out = ServerServiceDefinition.builder(desc.build());
        for (ServerMethodDefinition<?, ?> m : methods) out.addMethod(m);
        return out.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> renameMethod(ServerMethodDefinition<Q, R> m, String service) {
        MethodDescriptor<Q, R> d = m.getMethodDescriptor();
        MethodDescriptor<Q, R> renamed = d.toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, d.getBareMethodName()))
                .setSchemaDescriptor(null)
                .build();
        return ServerMethodDefinition.create(renamed, m.getServerCallHandler());
    }
}
