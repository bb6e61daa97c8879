"""`ai_knowledge_seed`: load the shipped renewal best-practice documents into the knowledge base."""

from typing import Any

from django.core.management.base import BaseCommand

from ai_assistant.services import knowledge_seed


class Command(BaseCommand):
    help = (
        "Load the starter knowledge documents (ai_assistant/knowledge/*.md) by slug: new ones "
        "are added, changed ones updated, the rest left alone. Safe to run repeatedly."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        created, updated = knowledge_seed()
        self.stdout.write(f"Knowledge base: {created} documents added, {updated} updated.")
