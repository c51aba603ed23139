//! Which spending limit stopped a run (`Run.budget_stop.limit`).

wire_enum! {
    /// A run's limit (`budget: { usd, tokens, duration }`) or an agent step's own
    /// (`maxCostUsd`, `maxTokens`).
    pub enum BudgetLimit {
        Usd = "usd",
        Tokens = "tokens",
        Duration = "duration",
        StepUsd = "step_usd",
        StepTokens = "step_tokens",
    }
}
