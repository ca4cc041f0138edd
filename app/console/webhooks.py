"""Webhooks: placeholder until the webhooks service is merged (see the report)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/webhooks")
