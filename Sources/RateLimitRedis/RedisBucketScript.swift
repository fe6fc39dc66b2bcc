/// The Lua script that makes every decision inside Redis: one atomic step per request.
///
/// It is the same arithmetic as the in-memory engines (`BucketArithmetic` in `RateLimit`),
/// rewritten for Lua 5.1, where every number is an IEEE double:
///
/// - **State.** A bucket is one string key, `"anchor_us:debt_ticks"`: the Redis time (µs) of the
///   last change and the bucket's debt at that time, in ticks of `1/M` ns. Debt is the time until
///   the bucket is full; an absent key is a full bucket, so a key that expires changes nothing.
///   A value the script did not write — `inf`, `nan`, garbage, a hash or a list, an anchor more
///   than a window plus a minute in the future — is deleted and counts as a full bucket, and the
///   reply's last element says so; otherwise one bad value would fail its key until it expired.
///   A debt above the policy's window (another policy under the same prefix) counts as the
///   window: the bucket is empty, not frozen.
/// - **Time.** `TIME`, read inside the script, in whole microseconds; decisions are made at
///   `µs × 1000` ns. A reading older than the stored anchor counts as the anchor, so the bucket's
///   time never moves backwards when the server's wall clock does.
/// - **Exactness.** Debt is computed relative to the anchor, never from absolute nanoseconds, so
///   every intermediate stays an integer below 2⁵³ (``RedisBucketParameters`` rejects policies
///   that would not). Lua has no integer division: `fdiv` floors the double quotient and then
///   corrects it by one if the rounding crossed an integer.
/// - **Expiry.** A changed bucket is written with `PXAT` set to the moment it will be full again,
///   computed from the same `TIME` reading (rounded up to the millisecond, plus 1 ms), so only
///   active clients use memory and a key never expires while it still owes tokens. Decisions are
///   serialised by Redis at its own clock, so no decision can carry a reading older than an
///   expiry: an expired key has been full since before it vanished, and recreating it full
///   changes no answer — the in-memory engines' "stale reading meets a drop" cannot happen here.
///   (Redis 6.2 or later, for `PXAT`.)
enum RedisBucketScript {
    /// The script. `KEYS[1]` is the bucket; see the header comment for `ARGV`.
    static let source = #"""
        -- RateLimitRedis token bucket: one decision, atomically.
        -- KEYS[1]  the bucket: "anchor_us:debt_ticks", absent when full
        -- ARGV[1]  1 stepped, 0 smooth      ARGV[2] capacity C      ARGV[3] refill r
        -- ARGV[4]  interval I in ns         ARGV[5] M, ticks per ns ARGV[6] ticks per token (smooth)
        -- ARGV[7]  W, the largest debt in ticks                     ARGV[8] cost, at most C + 1
        -- ARGV[9]  "" to use TIME, or a fixed time in us (tests only)
        -- Returns {allowed, remaining, retry_ns (-1: never), reset_ns, exceeds, time_us, corrupt}.
        -- All numbers are integers below 2^53, where doubles are exact.
        if redis.replicate_commands then redis.replicate_commands() end

        local function fdiv(a, b)
          local q = math.floor(a / b)
          local rest = a - q * b
          if rest < 0 then q = q - 1 elseif rest >= b then q = q + 1 end
          return q
        end

        local function cdiv(a, b)
          local q = fdiv(a, b)
          if q * b < a then q = q + 1 end
          return q
        end

        local stepped = ARGV[1] == '1'
        local C = tonumber(ARGV[2])
        local r = tonumber(ARGV[3])
        local I = tonumber(ARGV[4])
        local M = tonumber(ARGV[5])
        local tpt = tonumber(ARGV[6])
        local W = tonumber(ARGV[7])
        local cost = tonumber(ARGV[8])
        local scripted = ARGV[9] ~= ''

        local now
        if scripted then
          now = tonumber(ARGV[9])
        else
          local t = redis.call('TIME')
          now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        end

        -- A value this script did not write (inf, nan, garbage, another type of key) would fail
        -- the key until it expired: it is dropped, the bucket is full, and the reply says so.
        local debt = 0
        local corrupt = 0
        local state = redis.pcall('GET', KEYS[1])
        if type(state) == 'table' then
          corrupt = 1 -- an error reply: WRONGTYPE, the key holds a hash, a list, ...
        elseif state then
          local a, o = string.match(state, '^(%d+):(%d+)$')
          local anchor, owed = tonumber(a), tonumber(o)
          -- TIME never reads more than a window behind a stored anchor unless the clock stepped
          -- back that far; such an anchor would freeze the bucket until then. A minute of margin
          -- keeps ordinary clock steps and a failover to a lagging replica from resetting buckets.
          if not anchor or not owed or anchor >= 9007199254740992 or owed >= 9007199254740992
            or (not scripted and anchor > now + cdiv(W, 1000 * M) + 60000000) then
            corrupt = 1
          else
            -- No debt exceeds the window: a larger one was written under another policy with the
            -- same key prefix, or by someone else, and would deny the key for its whole length.
            if owed > W then owed = W end
            -- The bucket's time never moves backwards, even when TIME does.
            if anchor > now then now = anchor end
            local elapsed = now - anchor
            local per_us = 1000 * M
            -- Multiply only when the product stays below the owed ticks (no overflow past 2^53).
            if elapsed < cdiv(owed, per_us) then debt = owed - elapsed * per_us end
          end
        end
        if corrupt == 1 then redis.call('DEL', KEYS[1]) end

        local allowed, remaining, retry, reset, exceeds = 0, 0, 0, 0, 0
        local new_debt = nil
        if not stepped then
          -- GCRA: a token is tpt ticks; allowed while the debt stays within W.
          if cost > C then
            exceeds, retry = 1, -1
            remaining, reset = C - cdiv(debt, tpt), cdiv(debt, M)
          else
            local after = debt + cost * tpt
            if after <= W then
              allowed = 1
              remaining, reset = C - cdiv(after, tpt), cdiv(after, M)
              if cost > 0 then new_debt = after end
            else
              remaining, retry, reset = C - cdiv(debt, tpt), cdiv(after - W, M), cdiv(debt, M)
            end
          end
          if remaining < 0 then remaining = 0 end
        else
          -- Debt is F*r - e: F ns until full, e tokens of the last step that overflow C.
          local full_in, overflow, steps = 0, 0, 0
          if debt > 0 then
            full_in = cdiv(debt, r)
            overflow = full_in * r - debt
            steps = cdiv(full_in, I)
          end
          local deficit = steps * r - overflow
          local available = C - deficit
          if available < 0 then available = 0 end
          remaining, reset = available, full_in
          if cost > C then
            exceeds, retry = 1, -1
          elseif cost <= available then
            allowed = 1
            if cost > 0 then
              local new_deficit = deficit + cost
              local new_steps = cdiv(new_deficit, r)
              local new_overflow = new_steps * r - new_deficit
              -- A full bucket has no phase: its steps start now; otherwise the phase is kept.
              if steps == 0 then reset = new_steps * I else reset = full_in + (new_steps - steps) * I end
              remaining = C - new_deficit
              new_debt = reset * r - new_overflow
            end
          else
            retry = full_in - fdiv(C - cost + overflow, r) * I
          end
        end

        if new_debt then
          local value = string.format('%d:%d', now, new_debt)
          if scripted then
            -- A scripted time is unrelated to the expiry clock: keep such keys 10 minutes longer.
            redis.call('SET', KEYS[1], value, 'PX', string.format('%d', cdiv(reset, 1000000) + 600001))
          else
            -- Expire at an absolute time computed from this TIME reading — the moment the bucket
            -- is full, rounded up to the millisecond, plus 1 ms — never relative to the script's
            -- start, so the key cannot vanish while it still owes tokens. In whole ms and a
            -- remainder, so every intermediate stays below 2^53.
            local now_ms = fdiv(now, 1000)
            local full_ms = now_ms + cdiv((now - now_ms * 1000) * 1000 + reset, 1000000)
            redis.call('SET', KEYS[1], value, 'PXAT', string.format('%d', full_ms + 1))
          end
        end
        return {allowed, remaining, retry, reset, exceeds, now, corrupt}
        """#

    /// The script's SHA-1 in lowercase hex: its name for `EVALSHA`.
    static let sha1 = SHA1.hexDigest(Array(source.utf8))
}
