"""The OpenAI-compatible backend against a real server: llama-cpp-python's, started on loopback."""

from __future__ import annotations

import httpx
import pytest

from pluralign.models.base import GenerateRequest, ModelError, ScoreRequest
from pluralign.models.openai import OpenAIModel, continuation_logprobs
from tests.conftest import start_llama_server


def test_scoring_reads_the_continuations_echoed_tokens(llama_server, llama_model):
    # llama-cpp-python's server (0.3.36) echoes prompt log-probs that are not the model's (" of" after "The capital"
    # at -10.5 nats where the in-process model gives -0.4), so its numbers cannot be compared with the in-process
    # backend; what is checked here is that scoring picks exactly the continuation's tokens out of a real server's
    # echo. The values themselves would need vLLM, which is not available here.
    context, continuation = "The capital of France is", " Paris and Rome"
    data = httpx.post(f"{llama_server}/completions", json={"model": "smollm2", "prompt": context + continuation, "max_tokens": 1,
                                                     "echo": True, "logprobs": 1, "temperature": 0}, timeout=60).json()
    lp = data["choices"][0]["logprobs"]
    picked = continuation_logprobs(continuation, lp["tokens"], lp["token_logprobs"], data["usage"]["completion_tokens"])
    assert len(picked) == len(llama_model.encode(continuation))
    model = OpenAIModel(llama_server, "smollm2", chat_template=llama_model.render, concurrency=4)
    scores = model.score([ScoreRequest([{"role": "user", "content": "Is the sky blue?"}], ("Yes", "No")),
                          ScoreRequest(context, (continuation,))])
    assert [len(s) for s in scores] == [2, 1]
    assert scores[1][0] == pytest.approx(sum(picked), abs=1e-5)


def test_a_server_without_prompt_logprobs_gives_a_clear_error():
    proc, url = start_llama_server(logits_all=False)
    try:
        model = OpenAIModel(url, "smollm2", retries=1, backoff=0.05)
        with pytest.raises(ModelError, match="answered 500|no prompt log-probs"):
            model.score([ScoreRequest("The sky is", (" blue",))])
    finally:
        proc.kill()
        proc.wait()


def test_greedy_generation_through_the_server_is_deterministic_and_matches_in_process(llama_server, llama_model):
    model = OpenAIModel(llama_server, "smollm2")
    request = GenerateRequest([{"role": "user", "content": "Name three colours."}], max_tokens=20)
    remote = model.generate([request, request, request])
    assert remote[0] == remote[1] == remote[2]
    # Same weights and engine; the server's thread and batch settings can change float rounding, so long greedy
    # answers may part ways late. The start must agree.
    local = llama_model.generate([request])[0][0]
    assert remote[0][0][:30] == local[:30]


def test_scoring_a_chat_prompt_without_a_template_says_what_to_do(llama_server):
    model = OpenAIModel(llama_server, "smollm2")
    with pytest.raises(ModelError, match="chat template"):
        model.score([ScoreRequest([{"role": "user", "content": "hi"}], ("Yes",))])


def test_a_server_that_dies_gives_a_clear_error():
    proc, url = start_llama_server(logits_all=False)
    model = OpenAIModel(url, "smollm2", retries=2, backoff=0.05, timeout=5)
    assert model.generate([GenerateRequest("Hello", max_tokens=2)])
    proc.kill()
    proc.wait()
    with pytest.raises(ModelError, match="stopped answering after 3 attempts"):
        model.generate([GenerateRequest("Hello", max_tokens=2)])


def test_a_chat_template_named_by_tokenizer_lets_a_server_score_chat_prompts(llama_server, llama_model):
    from pluralign.models import load

    model = load(f"openai:{llama_server}#smollm2", template_from="embedded")
    prompt = [{"role": "user", "content": "Is the sky blue? Answer only Yes or No."}]
    assert model.chat_template(prompt) == llama_model.render(prompt)
    assert len(model.score([ScoreRequest(prompt, ("Yes", "No"))])[0]) == 2
