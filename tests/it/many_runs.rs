//! A worker process per run: one engine process runs hundreds of TypeScript runs (a
//! `JsRuntime` per run inside one process would fail near the 277th).

use workflow_engine::engine::{Engine, EngineConfig, RunControl};

use crate::util::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_typescript_runs_in_one_engine_process_all_complete() {
    let sb = Sandbox::new();
    let file = sb.write(
        "tiny.ts",
        r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({ name: "Tiny", phases: ["p"], async execute(ctx) {
  await ctx.step("one", { type: "function", fn: async () => ({ run: ctx.runId }) });
} });"#,
    );
    let engine = Engine::new(sb.store().await, EngineConfig::new(BIN.into()));
    for i in 0..300 {
        let prepared = engine
            .prepare(&file, &sb.project())
            .await
            .unwrap_or_else(|e| panic!("run {i}: {e}"));
        let definition = prepared.definition.clone();
        let run = engine
            .create_run(&definition, &sb.project(), serde_json::json!({}), None, None, None)
            .await
            .unwrap();
        let outcome = engine
            .execute(&run.id, Some(prepared), RunControl::default())
            .await
            .unwrap();
        assert_eq!(outcome.status.as_str(), "completed", "run {i}: {outcome:?}");
    }
    let done = crate::util::db(engine.store())
        .await
        .count("SELECT COUNT(*) FROM workflow_runs WHERE status = 'completed'", &[])
        .await;
    assert_eq!(done, 300);
}
