/// Finds every occurrence of a set of words in one pass over a text (Aho–Corasick), for scrubbing identifiers from
/// vendor text in time linear in the text, however many identifiers a batch echoes and however they overlap.
///
/// Words and text are sequences of folded Unicode scalar values, so that case is ignored as the caller folds it.
struct IdentifierMatcher {
    /// The matcher's position in the words: 0 is the root, where nothing of any word has been read.
    typealias State = Int32

    /// Edges of the trie and the automaton's shortcuts, keyed by state and scalar: one table, not one per state.
    private var edges: [UInt64: State] = [:]
    /// Where to continue when no edge leaves a state: the state of its longest proper suffix that is in the trie.
    private var fallback: [State] = [0]
    /// The length of the longest word that ends at each state, through its fallbacks; 0 where none does.
    private var longestEnding: [Int32] = [0]
    /// The length of the longest word.
    private(set) var longestWord = 0

    init(words: [[UInt32]]) {
        for word in words where !word.isEmpty {
            var state: State = 0
            for scalar in word {
                let key = Self.key(state, scalar)
                if let next = edges[key] {
                    state = next
                } else {
                    let next = State(fallback.count)
                    fallback.append(0)
                    longestEnding.append(0)
                    edges[key] = next
                    state = next
                }
            }
            longestEnding[Int(state)] = max(longestEnding[Int(state)], Int32(word.count))
            longestWord = max(longestWord, word.count)
        }
        // Breadth first, so that every state's fallback is final before its children's are computed from it.
        var children: [State: [(scalar: UInt32, child: State)]] = [:]
        for (key, child) in edges { children[State(key >> 32), default: []].append((UInt32(key & 0xFFFF_FFFF), child)) }
        var queue = children[0]?.map(\.child) ?? []
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            for (scalar, child) in children[state] ?? [] {
                var candidate = fallback[Int(state)]
                while candidate != 0 && edges[Self.key(candidate, scalar)] == nil {
                    candidate = fallback[Int(candidate)]
                }
                let target = edges[Self.key(candidate, scalar)] ?? 0
                fallback[Int(child)] = target == child ? 0 : target
                longestEnding[Int(child)] = max(longestEnding[Int(child)], longestEnding[Int(fallback[Int(child)])])
                queue.append(child)
            }
        }
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
