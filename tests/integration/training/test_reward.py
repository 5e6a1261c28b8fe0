"""The reward over a served grader: verl's async reward loop grades through the reward router's
served model, many samples' item calls in flight together."""

from __future__ import annotations

import asyncio

from rubricrl.training.reward import compute_score_async
from tests.fault_server import Fault, FaultServer

TRUTH = {"goal": "Test a fertiliser.", "rubric": ["Has a control plot.", "Names the test."]}


def test_samples_are_graded_by_the_routed_model_side_by_side(fault_server: FaultServer) -> None:
    samples = 8
    # every reply waits until all samples' requests are in: graded one after another, it hangs
    fault_server.faults = [Fault("gather", until=samples)]
    address = f"127.0.0.1:{fault_server.port}"

    async def score_all() -> list[dict[str, float]]:
        return await asyncio.gather(
            *(
                compute_score_async(
                    "rubric",
                    f"<solution>Plan {n}: a control plot.</solution>",
                    TRUTH,
                    {"index": n},
                    reward_router_address=address,
                    grader_model=fault_server.model,
                )
                for n in range(samples)
            )
        )

    scores = asyncio.run(score_all())
    assert len(scores) == samples and all(s["unscored"] == 0.0 for s in scores)
    assert all(-1.0 <= s["score"] <= 1.0 for s in scores)
    assert fault_server.max_in_flight == samples
    assert {(r.body or {}).get("model") for r in fault_server.chat_requests} == {fault_server.model}
