"""The ledger's tables.

::

    +------------------+  model_id (SET NULL)  +---------------------------+
    | users            |---------------------->| models                    |
    |------------------|                       |---------------------------|
    | id PK            |                       | id PK                     |
    | tg_id UNIQUE     |                       | provider, name  UNIQUE    |
    | name, username   |                       | input_price, output_price |
    | language_code    |                       | prices_as_of              |
    | model_id FK null |                       | context_window            |
    | created_at       |                       | max_output_tokens         |
    | updated_at       |                       | is_active                 |
    +------------------+                       | created_at, updated_at    |
             ^                                 +---------------------------+
             | user_id (CASCADE)                            ^
             |                                              | model_id (RESTRICT)
    +---------------------------------+                     |
    | requests                        |---------------------+
    |---------------------------------|
    | id PK, user_id FK, model_id FK  |
    | prompt                          |
    | chat_id, message_id  UNIQUE     |
    | created_at                      |
    +---------------------------------+
             ^
             | request_id (CASCADE)
    +----------------------------------------------+
    | responses                                    |
    |----------------------------------------------|
    | id PK, request_id FK, provider, content      |
    | status (ok | error | cancelled), error       |
    | tokens_in, tokens_out, cost (nullable)       |
    | latency_ms, ttft_ms, created_at, updated_at  |
    +----------------------------------------------+

Prices are Decimals per million tokens; costs are Decimals; timestamps are aware UTC.
Deleting a user deletes its requests and their responses; a model that has requests cannot
be deleted (deactivate it instead); deleting a model a user had chosen clears the choice.
"""

from models.llm_model import LLMModel
from models.request import Request
from models.response import Response, ResponseStatus
from models.user import User

__all__ = ["LLMModel", "Request", "Response", "ResponseStatus", "User"]
