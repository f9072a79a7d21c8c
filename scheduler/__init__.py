"""rota's pure domain: config models, validation, shift expansion, roster, checker, exports.

No OR-Tools and no Redis here.
"""
