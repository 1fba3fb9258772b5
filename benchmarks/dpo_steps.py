"""Seconds per DPO step on the embedded model: LoRA adapters (what `pluralign align` trains) against full fine-tuning,
the same pairs, batch and lengths, one process; the median of the steps after the first (which warms up). With
``--settings``, LoRA under TRL's defaults (gradient checkpointing on) against align's CPU settings (checkpointing off;
then also the reference model's log-probs computed once per pair before training), each run's whole time included.

    .venv/bin/python benchmarks/dpo_steps.py --steps 6 --batch-size 8
    .venv/bin/python benchmarks/dpo_steps.py --settings --pairs 32 --steps 10 --batch-size 8
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import pandas as pd
from transformers import TrainerCallback


class StepTimes(TrainerCallback):
    def __init__(self) -> None:
        self.times: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.times.append(time.perf_counter() - self._start)


def seconds_per_step(lora: bool, pairs: pd.DataFrame, steps: int, batch_size: int, **settings) -> list[float]:
    """Each step's seconds after the first; ``settings`` go to DPOConfig (the run's whole time is ``timed.total``)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from pluralign.models.embedded import embedded_hf_dir

    base = str(embedded_hf_dir())
    timer = StepTimes()
    with tempfile.TemporaryDirectory() as out:
        args = DPOConfig(output_dir=out, max_steps=steps, per_device_train_batch_size=batch_size, learning_rate=5e-4,
                         report_to=[], save_strategy="no", use_cpu=True, bf16=False, disable_tqdm=True, logging_steps=steps,
                         max_length=512, seed=0, **settings)
        start = time.perf_counter()
        trainer = DPOTrainer(model=AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), args=args,
                             processing_class=AutoTokenizer.from_pretrained(base), callbacks=[timer],
                             train_dataset=Dataset.from_pandas(pairs),
                             peft_config=LoraConfig(r=8, lora_alpha=16, target_modules="all-linear",
                                                    task_type="CAUSAL_LM") if lora else None)
        trainer.train()
        seconds_per_step.total = time.perf_counter() - start
    return timer.times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--settings", action="store_true", help="compare align's CPU settings with TRL's defaults")
    args = parser.parse_args()
    answer = "It is worth weighing what matters most to you, talking it over with the people close to you, and " \
             "taking the time you need before you decide."  # about 32 tokens, as align's answers
    other = "Just do whatever everyone around you expects, since that is the easiest way and nobody will question " \
            "you about it later."
    pairs = pd.DataFrame([{"prompt": [{"role": "user", "content": f"How should I decide about question {i}?"}],
                           "chosen": [{"role": "assistant", "content": answer}],
                           "rejected": [{"role": "assistant", "content": other}]} for i in range(args.pairs)])
    runs = ((("LoRA r=8, TRL's defaults (gradient checkpointing)", True, {}),
             ("LoRA r=8, no gradient checkpointing", True, {"gradient_checkpointing": False}),
             ("LoRA r=8, no checkpointing, reference log-probs once", True,
              {"gradient_checkpointing": False, "precompute_ref_log_probs": True}))
            if args.settings else (("LoRA r=8", True, {}), ("full fine-tuning", False, {})))
    for name, lora, settings in runs:
        times = seconds_per_step(lora, pairs, args.steps, args.batch_size, **settings)
        median = statistics.median(times)
        print(f"{name}: {median:.2f} s per step of {args.batch_size} pairs (median of {len(times)}: "
              f"{', '.join(f'{t:.2f}' for t in times)}), {1 / median:.2f} steps/s; {seconds_per_step.total:.1f} s "
              f"for {args.steps} steps on {args.pairs} pairs")


if __name__ == "__main__":
    main()
