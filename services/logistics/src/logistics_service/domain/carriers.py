"""The carriers a shop may hand parcels to, and what a valid tracking number looks like for each.

The dispatch check "waybill" refuses an unknown carrier code and a tracking number that does
not match the carrier's own numbering, which catches most typing and copy-paste mistakes at the
warehouse before the parcel leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Carrier:
    """A carrier of the catalogue: its code, its name and its tracking-number format."""

    code: str
    name: str
    tracking_number_pattern: str
    example: str

    def accepts(self, tracking_number: str) -> bool:
        """Whether `tracking_number` is a number this carrier issues."""
        return re.fullmatch(self.tracking_number_pattern, tracking_number) is not None


CARRIERS: tuple[Carrier, ...] = (
    Carrier("SF", "SF Express (顺丰速运)", r"SF\d{12}", "SF123456789012"),
    Carrier("ZTO", "ZTO Express (中通快递)", r"\d{12,15}", "731234567890123"),
    Carrier("YTO", "YTO Express (圆通速递)", r"YT\d{13}", "YT1234567890123"),
    Carrier("JD", "JD Logistics (京东物流)", r"JD[A-Z0-9]{13}", "JDVA12345678901"),
    Carrier("EMS", "China Post EMS (中国邮政 EMS)", r"[A-Z]{2}\d{9}CN", "EA123456789CN"),
    Carrier("STO", "STO Express (申通快递)", r"\d{12,13}", "7731234567890"),
    Carrier("YUNDA", "Yunda Express (韵达快递)", r"\d{13,15}", "4312345678901"),
)

_BY_CODE = {carrier.code: carrier for carrier in CARRIERS}


def carrier_for(code: str) -> Carrier | None:
    """The catalogue entry for a carrier code, or None when the code is not in the catalogue."""
    return _BY_CODE.get(code)
