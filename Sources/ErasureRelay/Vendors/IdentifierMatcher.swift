/// Finds every occurrence of a set of words in one pass over a text (Aho–Corasick), for scrubbing identifiers from
/// vendor text in time linear in the text, however many identifiers a batch echoes and however they overlap.
///
/// Words and text are sequences of folded Unicode scalar values, so that case is ignored as the caller folds it.
/// Add the words with ``insert(_:)``, then ``finishInsertion()`` before reading. The automaton lives in a few flat
/// tables, not a collection per state: a batch's identifiers make thousands of states.
struct IdentifierMatcher {
    /// The matcher's position in the words: 0 is the root, where nothing of any word has been read.
    typealias State = Int32

    /// Edges of the trie, keyed by state and scalar.
    private var edges: [UInt64: State] = [:]
    /// Each edge as it was added, to visit states in order of depth once every word is in.
    private var edgeList: [(parent: State, scalar: UInt32, child: State)] = []
    private var depth: [Int32] = [0]
    /// Where to continue when no edge leaves a state: the state of its longest proper suffix that is in the trie.
    private var fallback: [State] = [0]
    /// The length of the longest word that ends at each state, through its fallbacks; 0 where none does.
    private var longestEnding: [Int32] = [0]
    /// The length of the longest word.
    private(set) var longestWord = 0

    /// Adds a word; an empty one is ignored.
    mutating func insert(_ word: some Sequence<UInt32>) {
        var state: State = 0
        var length: Int32 = 0
        for scalar in word {
            length += 1
            let key = Self.key(state, scalar)
            if let next = edges[key] {
                state = next
            } else {
                let next = State(fallback.count)
                fallback.append(0)
                longestEnding.append(0)
                depth.append(depth[Int(state)] + 1)
                edges[key] = next
                edgeList.append((state, scalar, next))
                state = next
            }
        }
        guard length > 0 else { return }
        longestEnding[Int(state)] = max(longestEnding[Int(state)], length)
        longestWord = max(longestWord, Int(length))
    }

    /// Computes the fallbacks: states in order of depth, so that every shallower state's is final before a deeper
    /// state's is computed from it.
    mutating func finishInsertion() {
        let depth = self.depth
        edgeList.sort { depth[Int($0.child)] < depth[Int($1.child)] }
        for (parent, scalar, child) in edgeList where parent != 0 {
            var candidate = fallback[Int(parent)]
            while candidate != 0 && edges[Self.key(candidate, scalar)] == nil {
                candidate = fallback[Int(candidate)]
            }
            let target = edges[Self.key(candidate, scalar)] ?? 0
            fallback[Int(child)] = target
            longestEnding[Int(child)] = max(longestEnding[Int(child)], longestEnding[Int(target)])
        }
        edgeList = []
    }

    /// The state after reading `scalar` in `state`.
    func next(_ state: State, _ scalar: UInt32) -> State {
        var state = state
        while true {
            if let next = edges[Self.key(state, scalar)] { return next }
            if state == 0 { return 0 }
            state = fallback[Int(state)]
        }
    }

    /// The length of the longest word ending where `state` was reached; 0 if no word ends there.
    func longestMatch(at state: State) -> Int { Int(longestEnding[Int(state)]) }

    private static func key(_ state: State, _ scalar: UInt32) -> UInt64 { UInt64(state) << 32 | UInt64(scalar) }
}
