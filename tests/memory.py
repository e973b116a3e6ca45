"""In-memory fakes of the handlers' narrow protocols (IssueClient, AnswerStore, FeedbackStore), for
tests of the handlers alone; the `github` and `answers` fixtures (tests/conftest.py) hand them out."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.control_store import RuleCounts
from bot.github import BotComment, CommentGone, Permission
from bot.jobs import Answer, Conversation


@dataclass
class MemoryGitHub:
    """The IssueClient protocol over a dict of comments; records every write."""

    comments: dict[int, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    writes: list[tuple] = field(default_factory=list)
    maintainers: set[str] = field(default_factory=set)
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    next_id: int = 100

    def find_bot_comment(self, repo, number, marker):
        return next((BotComment(i, body) for i, body in self.comments.items() if marker in body), None)

    def create_comment(self, repo, number, body):
        self.next_id += 1
        comment_id = self.next_id
        self.comments[comment_id] = body
        self.writes.append(("create", comment_id))
        return comment_id

    def edit_comment(self, repo, comment_id, body):
        if comment_id not in self.comments:
            raise CommentGone(f"edit comment {comment_id}: 404")
        self.comments[comment_id] = body
        self.writes.append(("edit", comment_id))

    def add_labels(self, repo, number, labels):
        self.labels += labels
        self.writes.append(("labels", labels))

    def remove_label(self, repo, number, label):
        if label in self.labels:
            self.labels.remove(label)
        self.writes.append(("unlabel", label))

    def delete_comment(self, repo, comment_id):
        self.comments.pop(comment_id, None)
        self.writes.append(("delete", comment_id))

    def get_permission(self, repo, user):
        return Permission("write" if user in self.maintainers else "read")

    def get_file(self, repo, path):
        return self.files.get((repo, path))


@dataclass
class MemoryAnswers:
    """The AnswerStore and FeedbackStore protocols in dicts."""

    answers: dict[str, Answer] = field(default_factory=dict)
    labels: dict[str, set[str]] = field(default_factory=dict)
    added: dict[str, set[str]] = field(default_factory=dict)
    events: set[tuple[str, str, str, str]] = field(default_factory=set)  # (repo, issue, rule, event)
    rules_of_answer: dict[str, tuple[str, ...]] = field(default_factory=dict)
    muted: set[tuple[str, str]] = field(default_factory=set)
    shadow: list[tuple] = field(default_factory=list)
    notes: set[tuple[str, str]] = field(default_factory=set)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    inputs: dict[str, dict[int, str]] = field(default_factory=dict)

    def answer(self, issue_key):
        return self.answers.get(issue_key)

    def remember_answer(self, issue_key, comment_id, body, source="triage"):
        self.answers[issue_key] = Answer(comment_id, body, source)

    def mark_answer_deleted(self, issue_key):
        old = self.answers[issue_key]
        self.answers[issue_key] = Answer(old.comment_id, old.body, old.source, deleted=True)

    def labels_not_to_add(self, issue_key):
        return frozenset(self.labels.get(issue_key, ()))

    def labels_added(self, issue_key):
        return frozenset(self.added.get(issue_key, ()))

    def remember_labels_added(self, issue_key, labels):
        self.labels.setdefault(issue_key, set()).update(labels)
        self.added.setdefault(issue_key, set()).update(labels)

    def remember_label_removed(self, issue_key, label):
        self.labels.setdefault(issue_key, set()).add(label)
        self.added.get(issue_key, set()).discard(label)

    def note_posted(self, issue_key, note):
        return (issue_key, note) in self.notes

    def remember_note(self, issue_key, note):
        self.notes.add((issue_key, note))

    def conversation(self, issue_key):
        return self.conversations.get(issue_key, Conversation())

    def save_conversation(self, issue_key, conversation):
        self.conversations[issue_key] = conversation

    def author_inputs(self, issue_key):
        return sorted(self.inputs.get(issue_key, {}).items())

    def remember_author_input(self, issue_key, comment_id, body):
        self.inputs.setdefault(issue_key, {}).setdefault(comment_id, body)

    # -- FeedbackStore ---------------------------------------------------------------------------

    def answer_rules(self, issue_key):
        return self.rules_of_answer.get(issue_key, ())

    def set_answer_rules(self, issue_key, rules):
        self.rules_of_answer[issue_key] = tuple(rules)

    def record_rule_event(self, repo, issue_key, rule_id, event):
        self.events.add((repo, issue_key, rule_id, event))

    def rule_counts(self, repo, rule_id):
        def count(event):
            return sum(1 for e in self.events if (e[0], e[2], e[3]) == (repo, rule_id, event))
        return RuleCounts(count("answered"), count("withdrawn"), count("label_removed"))

    def withdrawn_rules(self, issue_key):
        return frozenset(rule for _, key, rule, event in self.events if key == issue_key and event == "withdrawn")

    def muted_rules(self, repo):
        return frozenset(rule for muted_repo, rule in self.muted if muted_repo == repo)

    def set_muted(self, repo, rule_id, muted, reason=""):
        before = (repo, rule_id) in self.muted
        (self.muted.add if muted else self.muted.discard)((repo, rule_id))
        return before != muted

    def record_shadow(self, repo, issue_key, kind, title, rules, labels, body):
        self.shadow.append((issue_key, kind, rules, labels, body))
