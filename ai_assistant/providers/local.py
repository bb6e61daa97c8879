"""The `local` provider: offline, no key, no network. It composes its answer from the
retrieved passages and the live figures (extractive and templated, see answers.py); it
cannot write free text, reason across passages or answer what the context does not hold."""

from ai_assistant.answers import compose_local_answer
from ai_assistant.providers.base import AIRequest, Completion, estimate_tokens

LOCAL_MODEL = "local-bm25"


class LocalProvider:
    name = "local"

    def __init__(self, model: str = "") -> None:
        self.model = LOCAL_MODEL

    def complete(self, request: AIRequest) -> Completion:
        text, confidence, _used = compose_local_answer(
            question=request.question,
            chunks=request.chunks,
            facts=request.facts,
            case=request.case,
            topics=request.topics,
        )
        prompt = "\n".join(m["content"] for m in request.messages)
        return Completion(
            text=text,
            provider=self.name,
            model=self.model,
            tokens_in=estimate_tokens(prompt),
            tokens_out=estimate_tokens(text),
            confidence=confidence,
        )
