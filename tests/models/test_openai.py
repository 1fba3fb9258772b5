"""The OpenAI-compatible backend against a real server: llama-cpp-python's, started on loopback."""

from __future__ import annotations

import httpx
import pytest

from pluralign.models.base import GenerateRequest, ModelError, ScoreRequest
from pluralign.models.openai import OpenAIModel, continuation_logprobs
from pluralign.models.probe import logprob_problems
from tests.conftest import invoke, start_llama_server, stop_server


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
    model = OpenAIModel(llama_server, "smollm2", chat_template=llama_model.render, concurrency=4, check_logprobs=False)
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
        stop_server(proc)


def test_greedy_generation_through_the_server_repeats_and_matches_in_process(llama_server, llama_model):
    # What is guaranteed, and only that. llama-cpp-python's server has one slot and keeps the KV cache of the last
    # request, reusing its longest shared prefix; llama.cpp's logits depend slightly on how a prompt is split into
    # batches, so a greedy answer can change with whatever was asked just before (three concurrent copies of one
    # chat request once came back different). Two plain prompts with different first tokens, asked in turn and one at
    # a time, share no prefix with the request before them: the server evaluates each from an empty cache, as the
    # in-process backend does, so every answer to a prompt is the same.
    model = OpenAIModel(llama_server, "smollm2", concurrency=1)
    colours, rivers = GenerateRequest("Name three colours:", max_tokens=20), GenerateRequest("Rivers of Europe:", max_tokens=20)
    assert llama_model.encode(colours.prompt)[0] != llama_model.encode(rivers.prompt)[0]
    remote = [texts[0] for texts in model.generate([colours, rivers, colours, rivers])]
    assert remote[0] == remote[2] and remote[1] == remote[3]
    # Same weights, engine and batching: the same text. The server applies its default repeat penalty (1.1) even at
    # temperature 0 and our in-process backend none (" red, blue and green" against " red, blue, and green": the
    # second comma is penalised), so the peer is llama.cpp itself asked with the server's sampling settings.
    local = []
    for request in (colours, rivers):
        llama_model.llm.reset()
        out = llama_model.llm.create_completion(request.prompt, max_tokens=20, temperature=0.0, repeat_penalty=1.1)
        local.append(out["choices"][0]["text"])
    assert remote[:2] == local


def test_scoring_a_chat_prompt_without_a_template_says_what_to_do(llama_server):
    model = OpenAIModel(llama_server, "smollm2", check_logprobs=False)
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

    model = load(f"openai:{llama_server}#smollm2?check_logprobs=off", template_from="embedded")
    prompt = [{"role": "user", "content": "Is the sky blue? Answer only Yes or No."}]
    assert model.chat_template(prompt) == llama_model.render(prompt)
    assert len(model.score([ScoreRequest(prompt, ("Yes", "No"))])[0]) == 2


def test_a_server_whose_echoed_logprobs_are_not_the_models_is_refused_in_one_line(llama_server, tmp_path):
    # llama-cpp-python's server echoes numbers of the right shape but not the model's: " Paris" after "The capital
    # of France is" comes back less likely than " banana", and the token the server itself picks there is echoed
    # at -8.5 nats where it picked it at -0.3. Scoring through it would make a chance-level audit look like any other.
    result = invoke("audit", "--model", f"openai:{llama_server}#smollm2", "--template-from", "embedded",
                    "--limit", "2", "--stages", "stance", "--no-cache", "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "echoes prompt log-probs that are not the model's" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_the_probe_passes_a_models_own_logprobs_and_names_each_fault(hf_model):
    assert logprob_problems(hf_model.score, lambda prompt: None) == []

    def shifted(requests):  # the model's numbers given to the wrong continuations (each request's read backwards)
        return [row[::-1] for row in hf_model.score(requests)]

    zeros = logprob_problems(lambda requests: [[0.0] * len(r.continuations) for r in requests], lambda p: None)
    assert zeros and "not log-probabilities" in zeros[0]
    assert any("no more likely than" in p for p in logprob_problems(shifted, lambda p: None))
    assert any("chain rule" in p for p in logprob_problems(shifted, lambda p: None))
    picked = logprob_problems(hf_model.score, lambda prompt: (" Paris", -3.0))
    assert picked == ["the token it picks after 'The capital of France is' (' Paris') has log-prob -3.00 when picked "
                      f"but {hf_model.score([ScoreRequest('The capital of France is', (' Paris',))])[0][0]:.2f} when echoed"]
