"""Market data adapters behind `engine.ports.MarketData` (DESIGN.md §3)."""

from agentic_desktop.market.csv_import import (
    CsvImportError,
    import_candles_csv,
    parse_candles_csv,
)
from agentic_desktop.market.imported_first import ImportedFirstMarket
from agentic_desktop.market.scripted import ScriptedMarket
from agentic_desktop.market.simulated import SimulatedMarket

__all__ = [
    "CsvImportError",
    "ImportedFirstMarket",
    "ScriptedMarket",
    "SimulatedMarket",
    "import_candles_csv",
    "parse_candles_csv",
]
