import Foundation

/// The machine's CPU time counters, summed over all CPUs, from the first line of `/proc/stat`: how
/// much time a virtual machine's host took away (steal) against all time that passed.
package struct HostCPUTimes: Hashable, Sendable {
    /// Ticks of every kind (user, nice, system, idle, iowait, irq, softirq, steal).
    package var total: UInt64
    /// Ticks the hypervisor ran something else while this machine's virtual CPUs were ready.
    package var steal: UInt64

    package init(total: UInt64, steal: UInt64) {
        self.total = total
        self.steal = steal
    }

    /// The counters now; `nil` where `/proc/stat` cannot be read or parsed (not Linux).
    package static func current() -> HostCPUTimes? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n", maxSplits: 1).first
        else { return nil }
        return self.parse(line)
    }

    /// Parses the aggregate line, `cpu  user nice system idle iowait irq softirq steal guest
    /// guest_nice`. Guest time is already counted in user time, so it is left out of the total.
    /// Kernels before 2.6.11 have no steal column: `nil`.
    package static func parse(_ line: Substring) -> HostCPUTimes? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.first == "cpu", fields.count >= 9 else { return nil }
        let ticks = fields[1...8].compactMap { UInt64($0) }
        guard ticks.count == 8 else { return nil }
        return HostCPUTimes(total: ticks.reduce(0, &+), steal: ticks[7])
    }

    /// The ticks that passed from `earlier` to `self`.
    package func since(_ earlier: HostCPUTimes) -> HostCPUTimes {
        HostCPUTimes(total: self.total &- earlier.total, steal: self.steal &- earlier.steal)
    }

    /// The stolen share of the ticks counted here; `nil` when none were (an interval shorter than a
    /// tick, usually 10 ms).
    package var stealFraction: Double? {
        self.total == 0 ? nil : Double(self.steal) / Double(self.total)
    }
}
