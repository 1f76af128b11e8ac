"""The human side of replydraft, independent of HTTP: who may do what (``access``), drafts held
for an agent's decision with their audit trail (``approvals``), acceptance statistics
(``stats``), background knowledge jobs (``jobs``). The API's route handlers call these."""
