import TFLiteCore

/// ADD: `out = act(a + b)` with NumPy broadcasting. FLOAT32, INT8, UINT8 (TFLite's reference
/// integer arithmetic, precomputed as a table over every input pair).
package enum Add {
    package static func prepare(_ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try BinaryArithmetic.prepare(.add, options, &context)
    }
}

/// SUB: `out = act(a − b)` with broadcasting. FLOAT32, INT8, UINT8.
package enum Sub {
    package static func prepare(_ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try BinaryArithmetic.prepare(.sub, options, &context)
    }
}

/// MUL: `out = act(a · b)` with broadcasting. FLOAT32, INT8, UINT8.
package enum Mul {
    package static func prepare(_ options: ArithmeticOptions, _ context: inout PrepareContext) throws(OpError) -> any Kernel {
        try BinaryArithmetic.prepare(.mul, options, &context)
    }
}
