"""Masking of personal data (receiver name, phone, address) for roles that do not need it.

Formats follow the platform the shops know: `张*`, `138****5678`, and an address that keeps
province, city and district but hides the street line.
"""

from __future__ import annotations

from contracts.values import Address, Receiver

MASK = "*"


def mask_name(name: str) -> str:
    """Keep the first character: `张三丰` -> `张**`, `Alice` -> `A****`."""
    if len(name) <= 1:
        return MASK
    return name[0] + MASK * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits: `13812345678` -> `138****5678`."""
    if len(phone) <= 7:
        return MASK * len(phone)
    return phone[:3] + MASK * (len(phone) - 7) + phone[-4:]


def mask_address(address: Address) -> Address:
    """Keep country, province, city and district; hide the street line and postal code."""
    return address.model_copy(
        update={"street": MASK * 4, "postal_code": None if address.postal_code is None else "***"}
    )


def mask_receiver(receiver: Receiver) -> Receiver:
    """The receiver with name, phone and street masked."""
    return receiver.model_copy(
        update={
            "name": mask_name(receiver.name),
            "phone": mask_phone(receiver.phone),
            "address": mask_address(receiver.address),
        }
    )
