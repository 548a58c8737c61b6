"""Reading a citizen's reply the way a careful officer reads it (docs/conversation.md).

`normalize` folds the text and keeps the marks that matter; `spelling` and `mending`
repair chat spellings; `scanning` reads the words into signals with the word lists of
`vocabulary`; `understanding` (yes/no), `choices`, `counting` (numbers, years) and
`names` turn the signals into a `reading.Reading`. Pure: imports only each other and
`flows.phone`; everything here may be cached.
"""
