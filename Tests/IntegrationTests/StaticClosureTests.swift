import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The proof that a `FROM scratch` image of `make static`'s binary works (deploy/Containerfile
/// cannot be built on machines that reach no image registry): exactly the files that image
/// holds — the binary, the shared libraries `ldd` names, the dynamic loader, a Corefile and a
/// manifest directory, and an /etc/resolv.conf as the kubelet mounts one — are copied into an
/// empty directory, which is then made read-only (`readOnlyRootFilesystem`) and becomes the
/// server's root, with /proc mounted as a container runtime mounts it. The stock kubeadm
/// Corefile is served from there and queried from the same network namespace: cluster names,
/// a forwarded name (NSD outside the root, on 127.0.0.2, as the node's resolver), health and
/// ready. Nothing leaves the namespaces.
@Suite(.serialized) struct StaticClosureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `make static`'s output, or `CLUSTERDNS_STATIC_BIN`.
    static var binary: String {
        ProcessInfo.processInfo.environment["CLUSTERDNS_STATIC_BIN"] ?? root.path + "/.build-static/release/clusterdns"
    }

    /// `make test` sets `CLUSTERDNS_REQUIRE_STATIC=1` after `make static`, so a missing binary
    /// fails there instead of skipping; a plain `swift test` skips without one.
    static var enabled: Bool {
        KubeadmCorefileTests.canIsolate && FileManager.default.isExecutableFile(atPath: "/usr/sbin/chroot")
            && (FileManager.default.isExecutableFile(atPath: binary)
                || ProcessInfo.processInfo.environment["CLUSTERDNS_REQUIRE_STATIC"] == "1")
    }

    @Test("the static binary's ldd closure serves the kubeadm Corefile as the read-only root of a scratch-like container",
          .enabled(if: enabled))
    func closure() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "no static binary at \(Self.binary): run `make static`")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("closure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try KubeadmCorefileTests.kubeadm.write(to: dir.appendingPathComponent("Corefile"), atomically: true, encoding: .utf8)
        try NSDProcess.exampleZone.write(to: dir.appendingPathComponent("example.test.zone"), atomically: true, encoding: .utf8)
        try NSDProcess.isolatedConfig(zones: dir.path, state: dir.path + "/nsd")
            .write(to: dir.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
        let script = """
            set -u
            D=\(dir.path)
            ROOT=$D/root
            ip link set lo up
            # The image: the binary, what ldd names (libraries by path, and the loader), config.
            "\(Self.root.path)/scripts/closure.sh" "\(Self.binary)" $ROOT
            mkdir -p $ROOT/proc $ROOT/etc/clusterdns
            # As deploy/Containerfile does: the binary carries CAP_NET_BIND_SERVICE as a file
            # capability, so a non-root user binds port 53 with no other privilege.
            setcap cap_net_bind_service=+ep $ROOT/clusterdns
            echo "getcap: $(getcap $ROOT/clusterdns)"
            ldd $ROOT/clusterdns > $D/ldd.txt
            cp $D/Corefile $ROOT/etc/clusterdns/Corefile
            cp -r "\(Self.root.path)/Zones/manifests" $ROOT/etc/clusterdns/manifests
            echo "nameserver 127.0.0.2" > $ROOT/etc/resolv.conf
            echo "files: $(cd $ROOT && find . -type f | sort | tr '\\n' ' ')"
            echo "bytes: $(du -sb $ROOT | cut -f1)"
            # Read-only, as readOnlyRootFilesystem; /proc on top, as a runtime mounts it.
            mount --bind $ROOT $ROOT && mount -o remount,bind,ro $ROOT
            mount -t proc proc $ROOT/proc
            touch $ROOT/probe 2>/dev/null && echo "root is writable" || echo "root is read-only"
            # NSD as the same user as the server: Linux shares a port between SO_REUSEPORT sockets
            # (NSD's 127.0.0.2:53, the server's 0.0.0.0:53) only within one user, and NSD sets
            # SO_REUSEPORT only with more than one server process.
            mkdir -p $D/nsd && chown 65534:65534 $D/nsd && chmod 755 $D
            setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_bind_service \\
                --ambient-caps=+net_bind_service nsd -d -c $D/nsd.conf > $D/nsd/nsd.out 2>&1 &
            for i in $(seq 100); do dig @127.0.0.2 www.example.test +short +time=1 +tries=1 | grep -q '^[0-9]' && break; sleep 0.1; done
            # As the Deployment runs it: uid/gid 65534 from the start (runAsUser), nothing else.
            chroot --userspec=65534:65534 $ROOT /clusterdns serve --conf /etc/clusterdns/Corefile \\
                --manifests /etc/clusterdns/manifests > $D/server.log 2>&1 &
            SERVER=$!
            for i in $(seq 200); do curl -sf http://127.0.0.1:8181/ready > /dev/null && break; kill -0 $SERVER || break; sleep 0.1; done
            echo "ready: $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8181/ready)"
            echo "health: $(curl -s http://127.0.0.1:8080/health)"
            echo "cluster: $(dig @127.0.0.1 web-app.production.svc.cluster.local +short | tr '\\n' ' ')"
            echo "ptr: $(dig @127.0.0.1 -x 10.96.0.20 +short)"
            echo "external: $(dig @127.0.0.1 www.example.test +short)"
            echo "external-tcp: $(dig @127.0.0.1 www.example.test +tcp +short)"
            grep -E '^(Uid|CapEff):' /proc/$SERVER/status | tr '\\t' ' ' | tr -s ' '
            kill -TERM $SERVER
            wait $SERVER
            echo "exit: $?"
            echo "--- ldd"
            cat $D/ldd.txt
            echo "--- log"
            cat $D/server.log
            """
        let text = try IsolatedScript.run(script, in: dir, timeout: .seconds(120))
        print(text.split(separator: "\n").filter { $0.hasPrefix("files:") || $0.hasPrefix("bytes:") }.joined(separator: "\n"))
        #expect(text.contains("root is read-only"), "\(text)")
        #expect(text.contains("libldns"), "libldns must be in the closure: \(text)")
        #expect(text.contains("ready: 200"), "\(text)")
        #expect(text.contains("health: OK"), "\(text)")
        #expect(text.contains("cluster: 10.96.0.20"), "\(text)")
        #expect(text.contains("ptr: web-app.production.svc.cluster.local."), "\(text)")
        #expect(text.contains("external: 192.0.2.1"), "\(text)")
        #expect(text.contains("external-tcp: 192.0.2.1"), "\(text)")
        #expect(text.contains("Uid: 65534 65534 65534 65534"), "\(text)")
        #expect(text.contains("CapEff: 0000000000000400"), "\(text)")
        #expect(text.contains("exit: 0"), "\(text)")
        #expect(!text.lowercased().contains("read-only file system"), "the server tried to write: \(text)")
    }
}
