import RateLimit

// The fast, seeded hash of the engines (`RateLimitKey`) for the keys the middleware makes: an
// address is two words; a name is a client-chosen string, so it keeps SipHash.

extension IPAddress: RateLimitKey {
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        hasher.combine(self.high)
        hasher.combine(self.low)
    }
}

extension ClientKey: RateLimitKey {
    public func rateLimitHash(into hasher: inout RateLimitKeyHasher) {
        if let address = self.address {
            address.rateLimitHash(into: &hasher)
        } else {
            // A name, or the one unidentified key: `Hashable`'s SipHash, which tells them apart.
            hasher.combine(strongly: self)
        }
    }
}
