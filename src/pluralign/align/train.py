"""Training the tuned model: DPO (or SFT) with LoRA adapters through TRL on an align run's preference pairs, resumable
from its checkpoints, merged into a checkpoint any ``hf:`` spec loads."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd

from ..models.base import ModelSpecError
from ..models.spec import ModelSpec, checkpoint, parse_spec, released_dtype
from .config import AlignConfig


def train_policy(pairs: pd.DataFrame, config: AlignConfig, folder: Path, progress: bool) -> pd.DataFrame:
    """``config.method`` with LoRA through TRL on ``pairs``: DPO on chosen against rejected, or SFT on the chosen
    answers alone (loss on the answer's tokens only); checkpoints under ``folder/checkpoints`` (resumed from the last),
    the merged model in ``folder/model``. Returns the training curve (step, loss, and DPO's reward margin and
    accuracy)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    try:
        import datasets
        from datasets import Dataset
        from peft import LoraConfig
        from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
    except ImportError:
        raise ModelSpecError("align trains with TRL and peft: pip install 'pluralign[align]'") from None

    base = checkpoint(parse_spec(config.model))
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    checkpoints = folder / "checkpoints"
    lora = LoraConfig(r=config.lora_r, lora_alpha=2 * config.lora_r, target_modules="all-linear", task_type="CAUSAL_LM")
    resume = any(checkpoints.glob("checkpoint-*"))
    bars = datasets.is_progress_bar_enabled()
    if not progress:  # TRL tokenises the pairs with datasets' own bars
        datasets.disable_progress_bars()
    try:
        with warnings.catch_warnings():  # TRL calls transformers' gradient-checkpointing names that 5.x deprecates
            warnings.simplefilter("ignore", FutureWarning)
            # bf16 (TRL's default) only on a GPU that has it. On the CPU the model computes in fp32, as every
            # backend does there: autocast to bf16 falls back to a slow reference GEMM on CPUs without AVX-512 BF16,
            # where a DPO step of 8 pairs took over a minute instead of seconds (benchmarks/RESULTS.md).
            # Gradient checkpointing (TRL's default) saves a GPU's memory by computing every layer's forward pass
            # again in the backward one; on the CPU memory is seldom what limits training, so it is off there: a DPO
            # step of 8 pairs on the embedded model took 18% less time without it (benchmarks/RESULTS.md).
            on_gpu = torch.cuda.is_available()
            common = dict(output_dir=str(checkpoints), max_steps=config.steps, learning_rate=config.learning_rate,
                          per_device_train_batch_size=config.batch_size, seed=config.seed, logging_steps=1,
                          save_steps=max(1, config.steps // 4), save_total_limit=2, report_to=[],
                          disable_tqdm=not progress, use_cpu=not on_gpu, bf16=on_gpu and torch.cuda.is_bf16_supported(),
                          max_length=512, gradient_checkpointing=on_gpu)
            if config.method == "dpo":
                # The reference model's log-probs, once per pair before training when training sees each pair more
                # than once (steps x batch size beyond the pairs), instead of once per pair per step: the same numbers.
                once = len(pairs) < config.steps * config.batch_size
                trainer = DPOTrainer(model=model, args=DPOConfig(beta=config.beta, precompute_ref_log_probs=once, **common),
                                     processing_class=tokenizer, peft_config=lora,
                                     train_dataset=Dataset.from_pandas(pairs[["prompt", "chosen", "rejected"]]))
            else:
                answers = pairs[["prompt", "chosen"]].rename(columns={"chosen": "completion"})
                trainer = SFTTrainer(model=model, args=SFTConfig(**common), processing_class=tokenizer, peft_config=lora,
                                     train_dataset=Dataset.from_pandas(answers))
            if not progress:  # with its progress bar off, the trainer prints every log line instead
                trainer.remove_callback(PrinterCallback)
            trainer.train(resume_from_checkpoint=resume or None)
    finally:
        if bars:
            datasets.enable_progress_bars()
    target, partial = folder / "model", folder / "model.partial"
    trainer.model.merge_and_unload().save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    _keep_base_dtype(partial, parse_spec(config.model))
    if target.exists():  # merged by an earlier attempt that stopped before recording it
        shutil.rmtree(target)
    os.replace(partial, target)
    return pd.DataFrame([{"step": h["step"], "loss": h["loss"], "margin": h.get("rewards/margins"),
                          "accuracy": h.get("rewards/accuracies")} for h in trainer.state.log_history if "loss" in h])


def _keep_base_dtype(folder: Path, base: ModelSpec) -> None:
    """Give the merged checkpoint's config the dtype its base was released in, or the one its spec names (the
    weights stay fp32, as trained), so that ``dtype=auto`` computes the tuned model in the base model's format and
    align compares two models, not two number formats (auto is bf16 on some CPUs: ``devices.resolve_dtype``)."""
    dtype = base.options.get("dtype", "auto")
    dtype = released_dtype(base) if dtype == "auto" else dtype
    if dtype is None:
        return
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config["dtype"] = dtype
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
