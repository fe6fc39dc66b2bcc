import Foundation
import Testing

@testable import RateLimitBenchmarkKit

/// The machine's CPUs as `--pin` and the result files see them, read from sysfs trees written by
/// the tests (machines this one is not).
@Suite("Topology")
struct TopologyTests {
    /// A sysfs tree: `cores[cpu]` is the CPU's (package, core) pair.
    static func sysfs(cores: [Int: (package: Int, core: Int)], nodes: Int, governor: String?) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sysfs-\(UUID().uuidString)").path
        for (cpu, place) in cores {
            let topology = "\(root)/cpu/cpu\(cpu)/topology"
            try FileManager.default.createDirectory(atPath: topology, withIntermediateDirectories: true)
            try "\(place.package)\n".write(toFile: "\(topology)/physical_package_id", atomically: true, encoding: .utf8)
            try "\(place.core)\n".write(toFile: "\(topology)/core_id", atomically: true, encoding: .utf8)
            if let governor {
                try FileManager.default.createDirectory(
                    atPath: "\(root)/cpu/cpu\(cpu)/cpufreq", withIntermediateDirectories: true)
                try "\(governor)\n".write(
                    toFile: "\(root)/cpu/cpu\(cpu)/cpufreq/scaling_governor", atomically: true, encoding: .utf8)
            }
        }
        for node in 0..<nodes {
            try FileManager.default.createDirectory(
                atPath: "\(root)/node/node\(node)", withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: "\(root)/node/power", withIntermediateDirectories: true)
        return root
    }

    @Test func siblingsComeAfterEveryCoreHasAThread() throws {
        // Linux's usual numbering on an SMT machine: CPU n and n + 4 share a core.
        let cores = Dictionary(uniqueKeysWithValues: (0..<8).map { ($0, (package: 0, core: $0 % 4)) })
        let root = try Self.sysfs(cores: cores, nodes: 1, governor: "performance")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let topology = CPUTopology.read(allowedCPUs: Array(0..<8), sysfs: root)
        #expect(topology.physicalCores == 4)
        #expect(topology.threadsPerCore == 2)
        #expect(topology.smtSiblings == [[0, 4], [1, 5], [2, 6], [3, 7]])
        #expect(topology.pinningOrder == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(topology.numaNodes == 1)
        #expect(topology.frequencyGovernor == "performance")
        #expect(
            topology.summary
                == "8 CPUs (0-7), 4 physical cores, 2-way SMT, 1 NUMA node, governor performance")
    }

    @Test func adjacentSiblingsAndTwoSocketsArePinnedCoreFirst() throws {
        // Siblings numbered next to each other, two packages with the same core ids.
        var cores: [Int: (package: Int, core: Int)] = [:]
        for cpu in 0..<8 {
            cores[cpu] = (package: cpu / 4, core: cpu / 2 % 2)
        }
        let root = try Self.sysfs(cores: cores, nodes: 2, governor: nil)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A process allowed on six of them (taskset -c 0-5).
        let topology = CPUTopology.read(allowedCPUs: Array(0..<6), sysfs: root)
        #expect(topology.physicalCores == 3)
        #expect(topology.pinningOrder == [0, 2, 4, 1, 3, 5])
        #expect(topology.smtSiblings == [[0, 1], [2, 3], [4, 5]])
        #expect(topology.numaNodes == 2)
        #expect(topology.frequencyGovernor == nil)
        #expect(topology.summary.hasSuffix("2 NUMA nodes, governor not exposed"))
    }

    @Test func unreadableTopologyCountsEachCPUAsACore() {
        let topology = CPUTopology.read(allowedCPUs: [0, 1, 5], sysfs: "/nonexistent")
        #expect(topology.physicalCores == 3 && topology.threadsPerCore == 1)
        #expect(topology.pinningOrder == [0, 1, 5])
        #expect(topology.numaNodes == nil)
    }

    @Test func pinningMoreThreadsThanCPUsIsAUsageError() throws {
        let topology = CPUTopology.read(allowedCPUs: [0, 1], sysfs: "/nonexistent")
        #expect(try topology.pinning(threads: [1, 2]) == [0, 1])
        #expect {
            try topology.pinning(threads: [1, 2, 4])
        } throws: { error in
            "\(error)".hasPrefix(
                "--pin: --threads 4 needs 4 CPUs, one per thread, but this process may run on 2 (CPUs 0-1)")
        }
    }

    @Test func cpuListsUseTheKernelsRanges() {
        #expect(CPUList.format([0, 1, 2, 3, 8, 10, 11]) == "0-3,8,10-11")
        #expect(CPUList.format([5]) == "5")
        #expect(CPUList.format([]) == "")
    }

    @Test func thisMachineIsDescribed() {
        let topology = CPUTopology.current()
        #expect(!topology.allowedCPUs.isEmpty)
        #expect(topology.pinningOrder.sorted() == topology.allowedCPUs)
        #expect(MachineDescription.current().topology == topology)
    }
}
