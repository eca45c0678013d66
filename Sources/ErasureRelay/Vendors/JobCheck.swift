/// What the answer to a job's status call says, as the lane needs to know it.
public enum JobCheck: Sendable {
    /// The vendor named the job's state.
    case state(JobState)
    /// The status call was refused, throttled or failed, or its answer named no known state; retried or ended as
    /// any call's answer is.
    case answered(CallResult)
}
