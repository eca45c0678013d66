extension VendorLane.StateMachine {
    /// When an event happens: the instant the lane schedules by, and the wall-clock time that vendor calls and
    /// parked results carry.
    struct Now: Sendable {
        var instant: Instant
        var wallClock: Timestamp

        func wallClock(after wait: Duration) -> Timestamp {
            wallClock.adding(milliseconds: wait.milliseconds)
        }
    }

    /// A call the lane started: what to send, and the identifiers whose fate its answer decides.
    struct Call: Sendable {
        let request: VendorCall
        let items: [Item]
        /// Whether the batch was split from a rejected one, and stays apart from all others.
        let wasIsolated: Bool
    }

    /// What a request's erasure came to when it entered the lane.
    enum Admission: Sendable {
        /// It ended at once, without a call.
        case ended(VendorResult)
        /// Its identifiers wait in the lane; a ``Action/finish(_:_:)`` action ends it.
        case queued(LaneRequestID)
    }

    /// What the actor does for the lane.
    enum Action: Sendable {
        /// Send the call, and report the vendor's answer with ``callFinished(_:sentAt:answer:now:)``.
        case startCall(Call)
        /// The request's work at this vendor is over; nil when it was withdrawn.
        case finish(LaneRequestID, VendorResult?)
        /// Look again at this instant, with ``timerFired(at:)``.
        case wake(at: Instant)
        /// Something to record in the lane's metrics or logs.
        case record(Observation)
    }

    /// What the lane tells its metrics and logs; never an identifier.
    enum Observation: Sendable, Equatable {
        case queueLength(Int)
        case callStarted(batchSize: Int, laneWaits: [Duration], limiterWait: Duration?)
        case callAnswered(result: String, status: Int?, duration: Duration)
        case retried(count: Int)
        case vendorAnsweringAgain
        case paused(retryAfterSeconds: Double, reason: String)
        case splitting(batchSize: Int, reason: String)
        case callWouldNotCarry(identifiers: Int)
        case parked(identifiers: Int, reason: String)
    }

    /// How `item` ended, for its request's tally.
    static func ending(
        of item: Item,
        failure: String? = nil,
        retriable: Bool = false,
        reference: String? = nil,
        note: String? = nil,
        deleted: Int? = nil,
        notBefore: Timestamp? = nil,
        namesJob: Bool = false,
        jobState: JobState? = nil
    ) -> RequestTally.Ending {
        RequestTally.Ending(
            attempts: item.attempts,
            lastStatus: item.lastStatus,
            failure: failure,
            retriable: retriable,
            reference: reference,
            note: note,
            deleted: deleted,
            notBefore: notBefore,
            namesJob: namesJob,
            jobState: jobState
        )
    }
}

extension Array {
    /// The elements that satisfy `belongs`, and the rest, each in their order.
    func partitioned(by belongs: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = []
        var rest: [Element] = []
        for element in self {
            if belongs(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}
