// Kept by hand, not swift-crypto's `Insecure.SHA1`: a measured dependency-weight call.
//
// swift-crypto compiles its vendored BoringSSL on Linux. A clean debug build of a package that
// only imports `Crypto` (swift-crypto 4.5.2, Swift 6.3.1, x86-64, 2 CPUs) took 222 s of CPU
// (197 s user + 25 s system): at least ~110 s of wall clock on an idle two-core machine, and
// 12 min 44 s on this shared one — far over the ~60 s this was worth. RateLimitRedis needs NIO
// and nothing else; users of it alone would pay that on every clean build (CI included) for
// 40 lines that name one script, hashed once at start-up, never for security.
// Letting Redis compute the digest (`SCRIPT LOAD` returns it) was considered too: the command
// head is encoded before any connection exists, `evalshaArguments` works without a server, and
// the handshake checks the server's digest against this one. The test vectors in
// `RedisBucketCommandTests` and a live `SCRIPT LOAD` in `RESPConnectionTests` pin it.

/// SHA-1, only to name the Lua script the way Redis does (`EVALSHA` takes the script's SHA-1 in
/// lowercase hex), so the command can be encoded before any connection exists and checked
/// against the digest `SCRIPT LOAD` returns. Not used for anything security-related.
enum SHA1 {
    /// The lowercase hexadecimal SHA-1 digest of `bytes`.
    static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
            0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0
        )
        var message = Array(bytes)
        let bitLength = UInt64(message.count) &* 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                let base = chunk + i * 4
                w[i] =
                    UInt32(message[base]) << 24 | UInt32(message[base + 1]) << 16
                    | UInt32(message[base + 2]) << 8 | UInt32(message[base + 3])
            }
            for i in 16..<80 {
                w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotatedLeft(by: 1)
            }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32) =
                    switch i {
                    case 0..<20: ((b & c) | (~b & d), 0x5A82_7999)
                    case 20..<40: (b ^ c ^ d, 0x6ED9_EBA1)
                    case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                    default: (b ^ c ^ d, 0xCA62_C1D6)
                    }
                let temp = a.rotatedLeft(by: 5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b.rotatedLeft(by: 30), a, temp)
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        return [h.0, h.1, h.2, h.3, h.4].map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }
}

extension UInt32 {
    fileprivate func rotatedLeft(by count: UInt32) -> UInt32 {
        (self << count) | (self >> (32 - count))
    }
}
