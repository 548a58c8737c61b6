"""The unit question: which commune or Hội branch a citizen belongs to, found by the code
printed on a poster (`codes`), by a name inside an address (`places`), or by the name the
commune had before the 2025 merger, in a `directory` the host builds; `question` asks it.
Pure: imports `flows.readers` and `flows.model`, never the engine.
"""
