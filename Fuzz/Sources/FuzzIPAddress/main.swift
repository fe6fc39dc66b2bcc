import LibFuzzerDriver
import RateLimitHummingbird

// IPAddress and IPNetwork on arbitrary text:
// - agreement with glibc's inet_pton (AF_INET for text without a colon, AF_INET6 with one):
//   same acceptance, same 128 bits (IPv4 as IPv4-mapped);
// - round trip: an accepted address prints canonically and parses back to itself, and its
//   printed form is a fixed point;
// - networks: an accepted CIDR block contains its own address, prints as it parsed, and parses
//   back to itself.
#if canImport(Glibc)
    import Glibc
#endif

func inetPton(_ text: String) -> IPAddress? {
    if text.utf8.contains(UInt8(ascii: ":")) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { raw in
            IPAddress(
                high: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                low: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }
    var address = in_addr()
    guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
    return IPAddress(ipv4: UInt32(bigEndian: address.s_addr))
}

runLibFuzzer { input in
    // inet_pton reads a C string: text with a NUL byte is a different question.
    guard !input.contains(0) else { return }
    let text = String(decoding: input, as: UTF8.self)
    let parsed = IPAddress(text)
    let reference = inetPton(text)
    precondition(
        parsed == reference,
        "\(text.debugDescription): parsed \(String(describing: parsed)), inet_pton \(String(describing: reference))")
    if let parsed {
        let printed = parsed.description
        precondition(
            IPAddress(printed) == parsed, "\(text.debugDescription) prints as \(printed), which parses differently")
        precondition(IPAddress(printed)?.description == printed, "\(printed) is not a fixed point")
    }
    if let network = try? IPNetwork(text) {
        precondition(network.contains(network.address), "\(network) does not contain its address")
        let again = try? IPNetwork(network.description)
        precondition(again == network, "\(text.debugDescription) → \(network) → \(String(describing: again))")
    }
}
