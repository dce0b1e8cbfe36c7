import TFLiteReader

/// Why the interpreter could not load, prepare or run a model. Each description is one line
/// naming the problem, and, for an operator, its index and name.
public enum InterpreterError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read as a TFLite model.
    case model(ModelError)
    /// No kernel here runs this operator.
    case unsupportedOperator(index: Int, name: String)
    /// The operator's kernel refused its tensors or options at prepare time.
    case operatorFailed(index: Int, name: String, reason: String)
    /// The graph cannot be run: a tensor read before it is written, a variable tensor, …
    case invalidGraph(String)
    /// `invoke()` or a tensor access before `allocateTensors()`.
    case tensorsNotAllocated
    /// An input or output index past the model's list.
    case invalidTensorIndex(kind: String, index: Int, count: Int)
    /// Data of the wrong size for an input.
    case invalidDataSize(input: Int, expected: Int, got: Int)
    /// A resize the model does not allow.
    case invalidShape(String)
    /// The tensors need more memory than the configured budget.
    case memoryBudgetExceeded(needed: Int, budget: Int)

    public var description: String {
        switch self {
        case .model(let error): error.description
        case .unsupportedOperator(let index, let name): "operator \(index) (\(name)) is not supported"
        case .operatorFailed(let index, let name, let reason): "operator \(index) (\(name)): \(reason)"
        case .invalidGraph(let detail): "the model's graph cannot run: \(detail)"
        case .tensorsNotAllocated: "tensors are not allocated: call allocateTensors() first"
        case .invalidTensorIndex(let kind, let index, let count): "\(kind) index \(index) is out of range (the model has \(count))"
        case .invalidDataSize(let input, let expected, let got): "input \(input) takes \(expected) bytes, got \(got)"
        case .invalidShape(let detail): "invalid shape: \(detail)"
        case .memoryBudgetExceeded(let needed, let budget): "the model needs \(needed) bytes of tensor memory, over the budget of \(budget)"
        }
    }
}
