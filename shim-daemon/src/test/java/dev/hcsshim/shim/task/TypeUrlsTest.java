package dev.hcsshim.shim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import dev.hcsshim.proto.events.TaskEventsProto;
import dev.hcsshim.proto.events.TaskExit;
import org.junit.jupiter.api.Test;

class TypeUrlsTest {
    @Test
    void everyTaskEventIsPackedUnderItsFullNameWithoutItsAccessorTable() throws Exception {
        for (Descriptor type : TaskEventsProto.getDescriptor().getMessageTypes()) {
            Message event = (Message) Class.forName(TaskEventsProto.class.getPackageName() + "." + type.getName())
                    .getMethod("getDefaultInstance").invoke(null);
            assertEquals(type.getFullName(), TypeUrls.knownName(event), "known without reflection: " + type.getName());
            assertEquals(type.getFullName(), TypeUrls.pack(event).getTypeUrl());
        }
        TaskExit exit = TaskExit.newBuilder().setContainerId("c1").setExitStatus(3).build();
        assertEquals(exit, TypeUrls.unpack(TypeUrls.pack(exit), TaskExit.getDefaultInstance()));
        assertEquals("containerd.task.v2.StateRequest", TypeUrls.pack(dev.hcsshim.proto.task.v2.StateRequest.getDefaultInstance()).getTypeUrl(),
                "any other message by its own descriptor");
    }
}
