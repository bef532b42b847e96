"""The Space hardware flavors the local Hub accepts, with prices close to the Hub's."""

from __future__ import annotations

from typing import Any

DEFAULT_FLAVOR = "cpu-basic"
# Seconds of idle time before a Space sleeps, when nobody set it: only free hardware sleeps.
DEFAULT_SLEEP_CPU_BASIC = 172800

# name: (pretty name, vCPUs, RAM, USD per hour, accelerator (type, model, count, vram) or None)
_FLAVORS: dict[str, tuple[str, int, str, float, tuple[str, str, int, str] | None]] = {
    "cpu-basic": ("CPU basic", 2, "16 GB", 0.0, None),
    "cpu-upgrade": ("CPU upgrade", 8, "32 GB", 0.03, None),
    "zero-a10g": ("ZeroGPU", 8, "32 GB", 0.0, ("gpu", "A100", 1, "40 GB")),
    "t4-small": ("Nvidia T4 - small", 4, "15 GB", 0.40, ("gpu", "T4", 1, "16 GB")),
    "t4-medium": ("Nvidia T4 - medium", 8, "30 GB", 0.60, ("gpu", "T4", 1, "16 GB")),
    "l4x1": ("1x Nvidia L4", 8, "30 GB", 0.80, ("gpu", "L4", 1, "24 GB")),
    "l4x4": ("4x Nvidia L4", 48, "186 GB", 3.80, ("gpu", "L4", 4, "96 GB")),
    "l40sx1": ("1x Nvidia L40S", 8, "62 GB", 1.80, ("gpu", "L40S", 1, "48 GB")),
    "l40sx4": ("4x Nvidia L40S", 48, "382 GB", 8.30, ("gpu", "L40S", 4, "192 GB")),
    "l40sx8": ("8x Nvidia L40S", 192, "1534 GB", 23.50, ("gpu", "L40S", 8, "384 GB")),
    "a10g-small": ("Nvidia A10G - small", 4, "15 GB", 1.00, ("gpu", "A10G", 1, "24 GB")),
    "a10g-large": ("Nvidia A10G - large", 12, "46 GB", 1.50, ("gpu", "A10G", 1, "24 GB")),
    "a10g-largex2": ("2x Nvidia A10G - large", 24, "92 GB", 3.00, ("gpu", "A10G", 2, "48 GB")),
    "a10g-largex4": ("4x Nvidia A10G - large", 48, "184 GB", 5.00, ("gpu", "A10G", 4, "96 GB")),
    "a100-large": ("Nvidia A100 - large", 12, "142 GB", 2.50, ("gpu", "A100", 1, "80 GB")),
    "a100x4": ("4x Nvidia A100", 48, "568 GB", 10.00, ("gpu", "A100", 4, "320 GB")),
    "a100x8": ("8x Nvidia A100", 96, "1136 GB", 20.00, ("gpu", "A100", 8, "640 GB")),
    "rtx-pro-6000": ("1x Nvidia RTX PRO 6000", 24, "192 GB", 2.70, ("gpu", "RTX PRO 6000", 1, "96 GB")),
    "rtx-pro-6000x2": ("2x Nvidia RTX PRO 6000", 48, "384 GB", 5.40, ("gpu", "RTX PRO 6000", 2, "192 GB")),
    "rtx-pro-6000x4": ("4x Nvidia RTX PRO 6000", 96, "768 GB", 10.80, ("gpu", "RTX PRO 6000", 4, "384 GB")),
    "rtx-pro-6000x8": ("8x Nvidia RTX PRO 6000", 192, "1536 GB", 21.60, ("gpu", "RTX PRO 6000", 8, "768 GB")),
}

FLAVORS = tuple(_FLAVORS)


def default_sleep(flavor: str) -> int | None:
    return DEFAULT_SLEEP_CPU_BASIC if flavor == DEFAULT_FLAVOR else None


def hardware_list() -> list[dict[str, Any]]:
    items = []
    for name, (pretty, cpu, ram, usd, accel) in _FLAVORS.items():
        accelerator = None
        if accel is not None:
            kind, model, quantity, vram = accel
            accelerator = {
                "type": kind,
                "model": model,
                "quantity": str(quantity),
                "vram": vram,
                "manufacturer": "Nvidia",
            }
        items.append(
            {
                "name": name,
                "prettyName": pretty,
                "cpu": f"{cpu} vCPU",
                "ram": ram,
                "accelerator": accelerator,
                # The Hub bills by the minute and publishes per-minute prices.
                "unitCostMicroUSD": round(usd / 60 * 1_000_000),
                "unitCostUSD": round(usd / 60, 6),
                "unitLabel": "minute",
                "ephemeralStorage": "50 GB",
            }
        )
    return items


def is_paid(flavor: str) -> bool:
    """Billed per minute (unitCostUSD > 0): needs a payment method on the Hub."""
    return _FLAVORS[flavor][3] > 0
