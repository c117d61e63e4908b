/// Two fresh network namespaces joined by a veth pair, for tests that need real kernel TCP between two
/// hosts without the three-namespace lab (`scripts/lab-up.sh`, which `Lab` in KernelLabTests uses).
///
/// It is bash, so a script's `trap` removes everything whatever happens to its steps. The preamble sets
/// `$nsa`, `$nsb` (namespaces) and `$va`, `$vb` (their veth ends), brings the links up with transmit
/// checksum offload off (LAB-NOTES fact 1: otherwise a capture holds partial checksums and GSO
/// super-segments), and installs `trap cleanup EXIT`; `cleanup` first calls `cleanup_more`, which the
/// script may define after the preamble to stop its own children.
public enum NamespacePair {
    /// - Parameters:
    ///   - tag: up to four letters naming the test (namespaces `toytcp-TAG-a-$id`, veths `tTAGa$id`).
    ///   - idVariable: the shell variable holding the unique id (`TestEnvironment.uniqueID()`).
    ///   - addresses: the two ends' addresses with prefix length (IPv6 ones skip duplicate address
    ///     detection, so they are usable at once).
    public static func preamble(tag: String, idVariable: String = "id",
                                addresses: (a: String, b: String) = ("10.0.0.1/24", "10.0.0.2/24")) -> String {
        let veth = "t\(tag.prefix(4))"
        func options(_ address: String) -> String { address.contains(":") ? " nodad" : "" }
        return #"""
        nsa="toytcp-\#(tag)-a-$\#(idVariable)" nsb="toytcp-\#(tag)-b-$\#(idVariable)" va="\#(veth)a$\#(idVariable)" vb="\#(veth)b$\#(idVariable)"
        cleanup_more() { :; }
        cleanup() {
          cleanup_more
          ip netns del "$nsa" 2>/dev/null || true
          ip netns del "$nsb" 2>/dev/null || true
        }
        trap cleanup EXIT
        ip netns add "$nsa"
        ip netns add "$nsb"
        ip link add "$va" type veth peer name "$vb"
        ip link set "$va" netns "$nsa"
        ip link set "$vb" netns "$nsb"
        ip -n "$nsa" addr add \#(addresses.a) dev "$va"\#(options(addresses.a))
        ip -n "$nsb" addr add \#(addresses.b) dev "$vb"\#(options(addresses.b))
        for pair in "$nsa:$va" "$nsb:$vb"; do
          ns=${pair%%:*} dev=${pair#*:}
          ip -n "$ns" link set lo up
          ip -n "$ns" link set "$dev" up
          ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null
        done

        """#
    }
}
