# Used by bench/bench.sh: waits for the first new shim socket in a directory, connects (a start
# that hands its daemon the socket lets us in before the daemon serves), sends one ttrpc request
# and prints the wall clock in ms once any answer comes back: when the daemon serves.
# Prints "ready" first, once it has listed the directory (it starts slower than the shim).
import os, socket, struct, sys, time

directory = sys.argv[1]
def sockets():
    return {f for f in (os.listdir(directory) if os.path.isdir(directory) else []) if "." not in f}
before = sockets()
def field(number, data):
    return bytes([number << 3 | 2, len(data)]) + data
request = field(1, b"containerd.task.v2.Task") + field(2, b"Connect")
frame = struct.pack(">IIBB", len(request), 1, 1, 0) + request
print("ready", flush=True)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    new = sorted(sockets() - before)
    if new:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(os.path.join(directory, new[0]))
            s.sendall(frame)
            if s.recv(16):
                print(time.time_ns() // 1_000_000, flush=True)
                sys.exit(0)
        except OSError:
            pass
        finally:
            s.close()
    time.sleep(0.0005)
sys.exit("no shim socket answered in " + directory)
