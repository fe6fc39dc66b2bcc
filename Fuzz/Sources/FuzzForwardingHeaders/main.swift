// Client-address resolution from X-Forwarded-For and Forwarded, on arbitrary bytes:
// - work stays within 2n: the right-to-left scanner consumes each byte once, the node parser
//   each hop's bytes once more;
// - appending what a trusted proxy appends (`, 203.0.113.9`) makes 203.0.113.9 the client,
//   whatever came before (no bucket escape, no fall into the shared bucket);
// - differential: a well-formed value yields, right to left, exactly the hops a left-to-right
//   reference reading yields (`ForwardedReferenceParser`, shared with the unit tests; for
//   X-Forwarded-For, a split on comma bytes).
import HTTPTypes
import LibFuzzerDriver

@testable import RateLimitHummingbird

let client = IPAddress("203.0.113.9")!
let peer = IPAddress("10.0.0.1")!
let trusted: [TrustedProxies.ForwardingHeader: TrustedProxies] = [
    .xForwardedFor: try! TrustedProxies(["10.0.0.0/8"], header: .xForwardedFor),
    .forwarded: try! TrustedProxies(["10.0.0.0/8"], header: .forwarded),
]

func allHops(_ header: TrustedProxies.ForwardingHeader, _ value: String) -> (hops: [ForwardedHop], work: Int) {
    var hops: [ForwardedHop] = []
    let work = ForwardingHeaderParser.forEachHop(of: header, in: value) { hop in
        hops.append(hop)
        return true
    }
    return (hops, work)
}

/// X-Forwarded-For read left to right: split on comma bytes, trim, drop empty members.
func xForwardedForReference(_ value: String) -> [ForwardedHop] {
    Array(value.utf8).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).compactMap { member in
        let trimmed = member.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        guard !trimmed.isEmpty else { return nil }
        return Array(trimmed).withUnsafeBufferPointer(ForwardingHeaderParser.xForwardedForHop)
    }
}

runLibFuzzer { input in
    // The raw bytes (NUL, CR, LF, invalid UTF-8) straight to the byte-level walks.
    let raw = input.bindMemory(to: UInt8.self)
    precondition(ForwardingHeaderParser.forEachXForwardedForHop(in: raw) { _ in true } <= 2 * raw.count)
    precondition(ForwardingHeaderParser.forEachForwardedHop(in: raw) { _ in true } <= 2 * raw.count)

    let value = String(decoding: input, as: UTF8.self)
    for header in TrustedProxies.ForwardingHeader.allCases {
        let (hops, work) = allHops(header, value)
        precondition(work <= 2 * value.utf8.count, "\(header): \(work) reads for \(value.utf8.count) bytes")

        let appended = value + (header == .forwarded ? ", for=203.0.113.9" : ", 203.0.113.9")
        var fields = HTTPFields()
        fields.append(HTTPField(name: header.fieldName, value: appended))
        let resolved = trusted[header]!.clientAddress(peer: peer, headers: fields)
        precondition(
            resolved == client, "\(header): \(appended.debugDescription) resolved to \(String(describing: resolved))")

        switch header {
        case .xForwardedFor:
            precondition(hops == xForwardedForReference(value).reversed(), "X-Forwarded-For: \(value.debugDescription)")
        case .forwarded:
            if let expected = ForwardedReferenceParser.hops(in: value) {
                precondition(hops == expected.reversed(), "Forwarded: \(value.debugDescription)")
            }
        }
    }
}
