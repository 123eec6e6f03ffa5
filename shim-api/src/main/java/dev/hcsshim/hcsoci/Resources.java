package dev.hcsshim.hcsoci;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What creating a container acquired; {@link #release} frees it, newest first, carrying on past
 * failures so one stuck resource does not leak the rest.
 */
public final class Resources {
    /** Releases the container's layers; {@code all} also removes the scratch. */
    @FunctionalInterface
    public interface Layers {
        void release(boolean all) throws IOException;
    }

    /** The utility VM side of networking. */
    @FunctionalInterface
    public interface NetworkHost {
        void tearDownNetworking(String netNs) throws IOException;
    }

    private final List<ResourceCloser> resources = new ArrayList<>();
    private final String id;
    private Layers layers;
    private String netNs;
    private boolean createdNetNs;
    private boolean addedNetNsToVm;

    public Resources(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public synchronized void add(ResourceCloser r) {
        resources.add(r);
    }

    public synchronized void setLayers(Layers layers) {
        this.layers = layers;
    }

    public synchronized void setNetNs(String netNs, boolean createdByShim, boolean addedToVm) {
        this.netNs = netNs;
        this.createdNetNs = createdByShim;
        this.addedNetNsToVm = addedToVm;
    }

    public synchronized String netNs() {
        return netNs;
    }

    public synchronized int size() {
        return resources.size();
    }

    /**
     * hcsshim's ReleaseResources: tear down the VM's networking, release resources in reverse
     * order, then the layers. Every failure is kept: the first is thrown with the others suppressed.
     */
    public synchronized void release(NetworkHost vm, boolean all) throws IOException {
        List<IOException> errors = new ArrayList<>();
        if (vm != null && addedNetNsToVm) {
            try {
                vm.tearDownNetworking(netNs);
                addedNetNsToVm = false;
            } catch (IOException e) {
                errors.add(e);
            }
        }
        List<ResourceCloser> kept = new ArrayList<>();
        for (int i = resources.size() - 1; i >= 0; i--) {
            ResourceCloser r = resources.get(i);
            boolean skip = switch (r.kind()) {
                case NETWORK_ENDPOINTS -> !createdNetNs;
                case CREDENTIALS -> !all;
                case GENERIC -> false;
            };
            if (skip) {
                kept.add(0, r);
                continue;
            }
            try {
                r.release();
                if (r.kind() == ResourceCloser.Kind.NETWORK_ENDPOINTS) createdNetNs = false;
            } catch (IOException | RuntimeException e) {
                errors.add(e instanceof IOException io ? io : new IOException(e));
            }
        }
        resources.clear();
        resources.addAll(kept);
        if (errors.isEmpty() && layers != null) {
            try {
                layers.release(all);
                layers = null;
            } catch (IOException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            IOException top = new IOException("failed to release one or more container resources of " + id
                    + " (" + errors.size() + " failed)", errors.get(0));
            for (int i = 1; i < errors.size(); i++) top.addSuppressed(errors.get(i));
            throw top;
        }
    }
}
