import CPUFeatures
import Microkernels
import MicrokernelsAVX2
import MicrokernelsAVX512

/// The instruction-set level whose micro-kernels run, chosen once per process from the CPU
/// (tract's and XNNPACK's approach: portable defaults overridden by faster variants).
///
/// `TFLITE_KERNELS=baseline|avx2|avx512|avx512vnni` in the environment lowers the choice (for tests and
/// benchmarks); it never raises it above what the CPU supports.
package enum KernelISA: Int, Comparable, CaseIterable, Sendable {
    /// The platform's baseline: SSE2 on x86-64 (8-channel panels, separate multiply and add),
    /// NEON on arm64.
    case baseline = 0
    /// AVX2 + FMA: 16-channel panels.
    case avx2 = 1
    /// AVX-512 F/BW/DQ/VL: 16-channel panels in one register.
    case avx512 = 2
    /// AVX-512 plus VNNI: the quantized matrix multiply on bytes (`vpdpbusd`); everything
    /// else as `avx512`.
    case avx512vnni = 3

    package static func < (a: KernelISA, b: KernelISA) -> Bool { a.rawValue < b.rawValue }

    /// What this CPU supports.
    package static let supported: KernelISA = KernelISA(rawValue: Int(tflite_cpu_kernel_level())) ?? .baseline

    /// The level in use: `supported`, lowered by `TFLITE_KERNELS` if set.
    package static let current: KernelISA = {
        let requested: KernelISA? = switch environmentValue("TFLITE_KERNELS") {
        case "baseline": .baseline
        case "avx2": .avx2
        case "avx512": .avx512
        case "avx512vnni": .avx512vnni
        default: nil
        }
        return min(requested ?? supported, supported)
    }()

    /// Whether this level's kernels may use AVX512_VBMI's byte permutes (Ice Lake and later
    /// have it with VNNI; Cascade Lake has VNNI without it).
    package var hasByteTableLookups: Bool { self >= .avx512vnni && Self.cpuHasVBMI }
    private static let cpuHasVBMI = tflite_cpu_has_avx512vbmi() != 0

    /// Output channels per packed weight panel.
    package var panelWidth: Int { self == .baseline ? 8 : 16 }

    /// Whether the baseline build multiplies and adds in one rounding (arm64 has FMA; x86-64's
    /// baseline does not, where `addProduct` would be a library call).
    static var baselineFuses: Bool {
        #if arch(arm64)
        true
        #else
        false
        #endif
    }
}

/// `getenv` without Foundation.
private func environmentValue(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
