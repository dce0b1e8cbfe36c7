import Foundation
import Testing
import TFLiteCore
import TFLiteReader

/// Operator counts of the stock models, as LiteRT 2.3 reports them (`Interpreter._get_ops_details()`;
/// person_detect_int8, which LiteRT refuses, counted with flatc).
@Suite(.enabled(if: ReaderTestPaths.sharedExists, "../shared/models is absent: stock models skipped"))
struct OperatorCountTests {
    static let expected: [String: [String: Int]] = [
        "mobilenet_v3_small_1.0_224_uint8.tflite": ["CONV_2D": 43, "HARD_SWISH": 19, "DEPTHWISE_CONV_2D": 11, "AVERAGE_POOL_2D": 11,
                                                    "ADD": 15, "MUL": 18, "RESHAPE": 1, "SOFTMAX": 1],
        "mobilenet_v1_0.25_128_uint8.tflite": ["CONV_2D": 15, "DEPTHWISE_CONV_2D": 13, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "SOFTMAX": 1],
        "person_detect_int8.tflite": ["CONV_2D": 14, "DEPTHWISE_CONV_2D": 14, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "SOFTMAX": 1],
    ]

    @Test(arguments: expected.keys.sorted())
    func operatorCountsMatchLiteRT(_ file: String) throws {
        let model = try Model(contentsOf: ReaderTestPaths.shared.appendingPathComponent(file).path)
        var counts: [String: Int] = [:]
        for op in model.subgraphs[0].operators { counts[op.builtin.name, default: 0] += 1 }
        #expect(counts == Self.expected[file])
    }
}
