/// The OpenAPI 3.1 description of every route, served at `GET /v1/openapi.json` and kept true by
/// schemathesis in the test command. Edit it together with the routes it describes.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Seek API",
            "version": "2026-03-16",
            "description": "Workers, jobs and credits. Authenticate with X-Api-Key."
          },
          "servers": [
            {
              "url": "/"
            }
          ],
          "security": [
            {
              "ApiKey": []
            }
          ],
          "paths": {
            "/healthz": {
              "get": {
                "summary": "Liveness",
                "operationId": "health",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        }
                      }
                    }
                  }
                },
                "security": []
              }
            },
            "/metrics": {
              "get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                  "200": {
                    "description": "Prometheus text format",
                    "content": {
                      "text/plain": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  }
                },
                "security": []
              }
            },
            "/v1/openapi.json": {
              "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  }
                },
                "security": []
              }
            },
            "/v1/me": {
              "get": {
                "summary": "Current workspace, plan and credits",
                "operationId": "getMe",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Me"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/credits": {
              "get": {
                "summary": "Credit balance and the ledger, newest first, filtered by time and type",
                "operationId": "getCredits",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Credits"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  },
                  {
                    "name": "from",
                    "in": "query",
                    "description": "Entries at or after this time: RFC 3339 or a date (midnight UTC).",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "to",
                    "in": "query",
                    "description": "Entries before this time: RFC 3339 or a date (midnight UTC).",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "type",
                    "in": "query",
                    "description": "One or more entry types, comma-separated.",
                    "schema": {
                      "type": "string"
                    },
                    "example": "charge,release"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/usage": {
              "get": {
                "summary": "A month's spending: credits charged and jobs, per worker and per day (UTC)",
                "operationId": "getUsage",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Usage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "name": "month",
                    "in": "query",
                    "description": "YYYY-MM; this month (UTC) when absent.",
                    "schema": {
                      "type": "string"
                    },
                    "example": "2026-03"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/deployments": {
              "get": {
                "summary": "Your published workers",
                "operationId": "getDeployments",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/DeploymentPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/keys": {
              "get": {
                "summary": "List API keys (never the keys themselves)",
                "operationId": "listKeys",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/KeyList"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              },
              "post": {
                "summary": "Create an API key; the key is shown once",
                "operationId": "createKey",
                "responses": {
                  "201": {
                    "description": "Created",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/KeyCreated"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/PayloadTooLarge"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/NewKey"
                      }
                    }
                  }
                },
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/keys/{key_id}": {
              "delete": {
                "summary": "Revoke an API key at once",
                "operationId": "revokeKey",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Key"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/KeyID"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/webhook-secret": {
              "get": {
                "summary": "The workspace's webhook signing secret",
                "operationId": "getWebhookSecret",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WebhookSecret"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/me/webhook-secret/rotate": {
              "post": {
                "summary": "Replace the webhook secret; the previous one keeps signing for 24 h",
                "operationId": "rotateWebhookSecret",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WebhookSecret"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/workers": {
              "get": {
                "summary": "List marketplace workers",
                "operationId": "listWorkers",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WorkerPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/workers/{worker_id}": {
              "get": {
                "summary": "A worker's manifest: schema, pricing, limits",
                "operationId": "getWorker",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WorkerDetail"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/WorkerID"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/workers/{worker_id}/jobs": {
              "post": {
                "summary": "Submit a job (async)",
                "description": "The body is the worker's input plus the control keys webhook, priority, timeout_s and max_credits. A webhook must be an http(s) URL whose host is public: loopback, private, link-local and other internal addresses, in any spelling or through DNS, get a 400 unless the operator allows private webhooks. When the job ends, the webhook gets one POST signed with X-SeekAPI-Signature and the Standard Webhooks headers, retried after 5 s, 30 s and 5 min until a 2xx.",
                "operationId": "submitJob",
                "responses": {
                  "200": {
                    "description": "The job finished within Prefer: wait.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/AnyJob"
                        }
                      }
                    }
                  },
                  "202": {
                    "description": "Accepted and durably queued.",
                    "headers": {
                      "Location": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    },
                    "content": {
                      "application/json": {
                        "schema": {
                          "anyOf": [
                            {
                              "$ref": "#/components/schemas/Accepted"
                            },
                            {
                              "$ref": "#/components/schemas/AcceptedLegacy"
                            }
                          ]
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "402": {
                    "$ref": "#/components/responses/PaymentRequired"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "413": {
                    "$ref": "#/components/responses/PayloadTooLarge"
                  },
                  "422": {
                    "$ref": "#/components/responses/UnprocessableEntity"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/WorkerID"
                  },
                  {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "schema": {
                      "type": "string"
                    },
                    "description": "24 h; same key and body replays the response."
                  },
                  {
                    "name": "Prefer",
                    "in": "header",
                    "required": false,
                    "schema": {
                      "type": "string"
                    },
                    "description": "wait=N (N ≤ 60): hold the response until the job ends."
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/Submission"
                      }
                    }
                  }
                },
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/jobs": {
              "get": {
                "summary": "Your latest jobs, newest first (at most 100)",
                "operationId": "listJobs",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/JobList"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "name": "status",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "string",
                      "enum": [
                        "queued",
                        "running",
                        "completed",
                        "failed",
                        "timeout",
                        "cancelled"
                      ]
                    }
                  },
                  {
                    "name": "worker",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/jobs/{job_uuid}/webhook-deliveries": {
              "get": {
                "summary": "Every delivery attempt of the job's webhook",
                "operationId": "listWebhookDeliveries",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/WebhookAttempts"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/JobUUID"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            },
            "/v1/jobs/{job_uuid}": {
              "get": {
                "summary": "A job's status and result",
                "operationId": "getJob",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/AnyJob"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/JobUUID"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              },
              "delete": {
                "summary": "Cancel a queued job",
                "operationId": "cancelJob",
                "responses": {
                  "200": {
                    "description": "OK",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/AnyJob"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/SeekVersion"
                  },
                  {
                    "$ref": "#/components/parameters/JobUUID"
                  }
                ],
                "security": [
                  {
                    "ApiKey": []
                  }
                ]
              }
            }
          },
          "components": {
            "securitySchemes": {
              "ApiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key"
              }
            },
            "schemas": {
              "Error": {
                "type": "object",
                "required": [
                  "error",
                  "message",
                  "status",
                  "request_id"
                ],
                "properties": {
                  "error": {
                    "type": "string",
                    "enum": [
                      "bad_request",
                      "unauthorized",
                      "payment_required",
                      "forbidden",
                      "not_found",
                      "conflict",
                      "payload_too_large",
                      "unprocessable_entity",
                      "too_many_requests",
                      "internal_server_error"
                    ]
                  },
                  "message": {
                    "type": "string"
                  },
                  "status": {
                    "type": "integer"
                  },
                  "request_id": {
                    "type": "string"
                  },
                  "details": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "path",
                        "message"
                      ],
                      "properties": {
                        "path": {
                          "type": "string"
                        },
                        "message": {
                          "type": "string"
                        }
                      }
                    }
                  }
                }
              },
              "Health": {
                "type": "object",
                "required": [
                  "status"
                ],
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": [
                      "ok"
                    ]
                  }
                }
              },
              "Cost": {
                "type": "object",
                "required": [
                  "total_usd",
                  "run_usd",
                  "infra_usd",
                  "billing_mode"
                ],
                "properties": {
                  "total_usd": {
                    "type": "number"
                  },
                  "run_usd": {
                    "type": "number"
                  },
                  "infra_usd": {
                    "type": "number"
                  },
                  "billing_mode": {
                    "type": "string",
                    "enum": [
                      "per_run",
                      "per_event"
                    ]
                  }
                }
              },
              "Result": {
                "type": [
                  "object",
                  "null"
                ],
                "required": [
                  "kind",
                  "data",
                  "items",
                  "meta"
                ],
                "properties": {
                  "kind": {
                    "type": "string",
                    "enum": [
                      "object",
                      "list"
                    ]
                  },
                  "data": {},
                  "items": {
                    "type": "array"
                  },
                  "meta": {
                    "type": "object"
                  }
                }
              },
              "File": {
                "type": "object",
                "required": [
                  "id",
                  "name",
                  "content_type",
                  "size_bytes",
                  "url",
                  "expires_at"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "name": {
                    "type": "string"
                  },
                  "content_type": {
                    "type": "string"
                  },
                  "size_bytes": {
                    "type": "integer"
                  },
                  "url": {
                    "type": "string"
                  },
                  "expires_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  }
                }
              },
              "JobError": {
                "type": [
                  "object",
                  "null"
                ],
                "required": [
                  "code",
                  "message"
                ],
                "properties": {
                  "code": {
                    "type": "string"
                  },
                  "message": {
                    "type": "string"
                  }
                }
              },
              "Webhook": {
                "type": [
                  "object",
                  "null"
                ],
                "required": [
                  "url",
                  "state",
                  "attempts"
                ],
                "properties": {
                  "url": {
                    "type": "string"
                  },
                  "state": {
                    "type": "string",
                    "enum": [
                      "pending",
                      "delivered",
                      "failed"
                    ]
                  },
                  "attempts": {
                    "type": "integer"
                  }
                }
              },
              "Job": {
                "type": "object",
                "description": "A job, API version 2026-03-16 (default).",
                "required": [
                  "job_uuid",
                  "status",
                  "worker",
                  "priority",
                  "cost_estimate_credits",
                  "cost_credits",
                  "cost",
                  "duration_ms",
                  "created_at",
                  "started_at",
                  "completed_at",
                  "result",
                  "files",
                  "error",
                  "webhook"
                ],
                "properties": {
                  "job_uuid": {
                    "type": "string",
                    "pattern": "^job_[0-9A-HJKMNP-TV-Z]{26}$"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "queued",
                      "running",
                      "completed",
                      "failed",
                      "timeout",
                      "cancelled"
                    ]
                  },
                  "worker": {
                    "type": "string"
                  },
                  "priority": {
                    "type": "string",
                    "enum": [
                      "low",
                      "normal",
                      "high"
                    ]
                  },
                  "cost_estimate_credits": {
                    "type": "integer"
                  },
                  "cost_credits": {
                    "type": [
                      "integer",
                      "null"
                    ]
                  },
                  "cost": {
                    "$ref": "#/components/schemas/Cost"
                  },
                  "duration_ms": {
                    "type": [
                      "integer",
                      "null"
                    ]
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "started_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "completed_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "result": {
                    "$ref": "#/components/schemas/Result"
                  },
                  "files": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/File"
                    }
                  },
                  "error": {
                    "$ref": "#/components/schemas/JobError"
                  },
                  "webhook": {
                    "$ref": "#/components/schemas/Webhook"
                  }
                }
              },
              "JobLegacy": {
                "type": "object",
                "description": "A job, API version 2026-01-15 (seed 001's names).",
                "required": [
                  "job_id",
                  "worker_id",
                  "status",
                  "output",
                  "files",
                  "cost",
                  "error",
                  "created_at",
                  "started_at",
                  "completed_at"
                ],
                "properties": {
                  "job_id": {
                    "type": "string"
                  },
                  "worker_id": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "QUEUED",
                      "RUNNING",
                      "SUCCEEDED",
                      "FAILED",
                      "TIMED_OUT",
                      "CANCELLED"
                    ]
                  },
                  "output": {
                    "$ref": "#/components/schemas/Result"
                  },
                  "files": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/File"
                    }
                  },
                  "cost": {
                    "$ref": "#/components/schemas/Cost"
                  },
                  "error": {
                    "$ref": "#/components/schemas/JobError"
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "started_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "completed_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  }
                }
              },
              "AnyJob": {
                "anyOf": [
                  {
                    "$ref": "#/components/schemas/Job"
                  },
                  {
                    "$ref": "#/components/schemas/JobLegacy"
                  }
                ]
              },
              "Accepted": {
                "type": "object",
                "required": [
                  "job_uuid",
                  "status",
                  "worker",
                  "cost_estimate_credits",
                  "created_at"
                ],
                "properties": {
                  "job_uuid": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "queued"
                    ]
                  },
                  "worker": {
                    "type": "string"
                  },
                  "cost_estimate_credits": {
                    "type": "integer"
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  }
                }
              },
              "AcceptedLegacy": {
                "type": "object",
                "required": [
                  "job_id",
                  "status",
                  "worker_id",
                  "cost_estimate_credits",
                  "created_at"
                ],
                "properties": {
                  "job_id": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "QUEUED"
                    ]
                  },
                  "worker_id": {
                    "type": "string"
                  },
                  "cost_estimate_credits": {
                    "type": "integer"
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  }
                }
              },
              "JobList": {
                "type": "object",
                "required": [
                  "data"
                ],
                "properties": {
                  "data": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/AnyJob"
                    }
                  }
                }
              },
              "Submission": {
                "type": "object",
                "description": "The worker's input (see its input_schema) plus these reserved control keys.",
                "additionalProperties": true,
                "properties": {
                  "webhook": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "uri",
                    "description": "http(s) URL to POST the terminal job to."
                  },
                  "priority": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "enum": [
                      "low",
                      "normal",
                      "high",
                      null
                    ]
                  },
                  "timeout_s": {
                    "type": [
                      "integer",
                      "null"
                    ],
                    "minimum": 1,
                    "description": "A deadline, at most the worker's max_duration_s."
                  },
                  "max_credits": {
                    "type": [
                      "integer",
                      "null"
                    ],
                    "minimum": 0,
                    "description": "Never cost more than this (402 if the worker's price is higher)."
                  }
                }
              },
              "Pricing": {
                "type": "object",
                "required": [
                  "billing_mode",
                  "infra_credits_per_second"
                ],
                "properties": {
                  "billing_mode": {
                    "type": "string",
                    "enum": [
                      "per_run",
                      "per_event"
                    ]
                  },
                  "credits_per_run": {
                    "type": "integer"
                  },
                  "usd_per_run": {
                    "type": "number"
                  },
                  "credits_per_event": {
                    "type": "integer"
                  },
                  "usd_per_event": {
                    "type": "number"
                  },
                  "max_events": {
                    "type": "integer"
                  },
                  "event_cap_input": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "infra_credits_per_second": {
                    "type": "integer"
                  }
                }
              },
              "Worker": {
                "type": "object",
                "required": [
                  "id",
                  "name",
                  "description",
                  "version",
                  "output_kind",
                  "pricing",
                  "max_duration_s"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"
                  },
                  "name": {
                    "type": "string"
                  },
                  "description": {
                    "type": "string"
                  },
                  "version": {
                    "type": "string"
                  },
                  "output_kind": {
                    "type": "string",
                    "enum": [
                      "object",
                      "list"
                    ]
                  },
                  "pricing": {
                    "$ref": "#/components/schemas/Pricing"
                  },
                  "max_duration_s": {
                    "type": "integer"
                  }
                }
              },
              "WorkerDetail": {
                "allOf": [
                  {
                    "$ref": "#/components/schemas/Worker"
                  },
                  {
                    "type": "object",
                    "required": [
                      "input_schema"
                    ],
                    "properties": {
                      "input_schema": {
                        "description": "JSON Schema 2020-12 of the input."
                      }
                    }
                  }
                ]
              },
              "WorkerPage": {
                "type": "object",
                "required": [
                  "data",
                  "has_more",
                  "next_cursor"
                ],
                "properties": {
                  "data": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Worker"
                    }
                  },
                  "has_more": {
                    "type": "boolean"
                  },
                  "next_cursor": {
                    "type": [
                      "string",
                      "null"
                    ]
                  }
                }
              },
              "Balance": {
                "type": "object",
                "required": [
                  "balance",
                  "reserved",
                  "available"
                ],
                "properties": {
                  "balance": {
                    "type": "integer"
                  },
                  "reserved": {
                    "type": "integer"
                  },
                  "available": {
                    "type": "integer"
                  }
                }
              },
              "Me": {
                "type": "object",
                "required": [
                  "workspace",
                  "plan",
                  "credits",
                  "api_key"
                ],
                "properties": {
                  "workspace": {
                    "type": "object",
                    "required": [
                      "id",
                      "name",
                      "created_at"
                    ],
                    "properties": {
                      "id": {
                        "type": "string"
                      },
                      "name": {
                        "type": "string"
                      },
                      "created_at": {
                        "type": "string",
                        "format": "date-time"
                      }
                    }
                  },
                  "plan": {
                    "type": "object",
                    "required": [
                      "name",
                      "rate_limit_per_second",
                      "burst",
                      "monthly_credits",
                      "credit_line"
                    ],
                    "properties": {
                      "name": {
                        "type": "string"
                      },
                      "rate_limit_per_second": {
                        "type": "integer",
                        "minimum": 1
                      },
                      "burst": {
                        "type": "integer",
                        "minimum": 1
                      },
                      "monthly_credits": {
                        "type": "integer"
                      },
                      "credit_line": {
                        "type": "integer",
                        "minimum": 0
                      }
                    }
                  },
                  "credits": {
                    "$ref": "#/components/schemas/Balance"
                  },
                  "api_key": {
                    "type": "object",
                    "required": [
                      "id"
                    ],
                    "properties": {
                      "id": {
                        "type": "string"
                      }
                    }
                  }
                }
              },
              "LedgerEntry": {
                "type": "object",
                "required": [
                  "id",
                  "type",
                  "amount",
                  "balance_after",
                  "reserved_after",
                  "job_uuid",
                  "worker",
                  "created_at"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "type": {
                    "type": "string",
                    "enum": [
                      "grant",
                      "topup",
                      "reserve",
                      "charge",
                      "release",
                      "expire"
                    ]
                  },
                  "amount": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "balance_after": {
                    "type": "integer"
                  },
                  "reserved_after": {
                    "type": "integer"
                  },
                  "job_uuid": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "worker": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  }
                }
              },
              "Credits": {
                "type": "object",
                "required": [
                  "balance",
                  "reserved",
                  "available",
                  "data",
                  "has_more",
                  "next_cursor",
                  "credit_line"
                ],
                "properties": {
                  "balance": {
                    "type": "integer"
                  },
                  "reserved": {
                    "type": "integer"
                  },
                  "available": {
                    "type": "integer"
                  },
                  "data": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/LedgerEntry"
                    }
                  },
                  "has_more": {
                    "type": "boolean"
                  },
                  "next_cursor": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "credit_line": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How far below zero available credits may go."
                  }
                }
              },
              "DeploymentPage": {
                "type": "object",
                "required": [
                  "data",
                  "has_more",
                  "next_cursor"
                ],
                "properties": {
                  "data": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Worker"
                    }
                  },
                  "has_more": {
                    "type": "boolean"
                  },
                  "next_cursor": {
                    "type": [
                      "string",
                      "null"
                    ]
                  }
                }
              },
              "Key": {
                "type": "object",
                "required": [
                  "id",
                  "name",
                  "prefix",
                  "created_at",
                  "last_used_at",
                  "scope"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "name": {
                    "type": "string"
                  },
                  "prefix": {
                    "type": "string"
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "last_used_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "revoked_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "scope": {
                    "type": "string",
                    "enum": [
                      "full",
                      "read"
                    ]
                  }
                }
              },
              "KeyCreated": {
                "allOf": [
                  {
                    "$ref": "#/components/schemas/Key"
                  },
                  {
                    "type": "object",
                    "required": [
                      "key"
                    ],
                    "properties": {
                      "key": {
                        "type": "string",
                        "description": "Shown once."
                      }
                    }
                  }
                ]
              },
              "KeyList": {
                "type": "object",
                "required": [
                  "data"
                ],
                "properties": {
                  "data": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Key"
                    }
                  }
                }
              },
              "WebhookSecret": {
                "type": "object",
                "required": [
                  "secret",
                  "previous_secret",
                  "previous_valid_until"
                ],
                "properties": {
                  "secret": {
                    "type": "string",
                    "pattern": "^whsec_"
                  },
                  "previous_secret": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "previous_valid_until": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  }
                }
              },
              "WebhookAttempts": {
                "type": "object",
                "required": [
                  "data"
                ],
                "properties": {
                  "data": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "attempted_at",
                        "status_code",
                        "error",
                        "duration_ms"
                      ],
                      "properties": {
                        "attempted_at": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "status_code": {
                          "type": [
                            "integer",
                            "null"
                          ]
                        },
                        "error": {
                          "type": [
                            "string",
                            "null"
                          ]
                        },
                        "duration_ms": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "NewKey": {
                "type": "object",
                "required": [
                  "name"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 100
                  },
                  "scope": {
                    "type": "string",
                    "enum": [
                      "full",
                      "read"
                    ],
                    "default": "full",
                    "description": "read keys may only make GET requests."
                  }
                }
              },
              "Usage": {
                "type": "object",
                "required": [
                  "month",
                  "credits",
                  "jobs",
                  "by_worker",
                  "by_day"
                ],
                "properties": {
                  "month": {
                    "type": "string",
                    "pattern": "^[0-9]{4}-[0-9]{2}$"
                  },
                  "credits": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "jobs": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "by_worker": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "worker",
                        "credits",
                        "jobs"
                      ],
                      "properties": {
                        "worker": {
                          "type": "string"
                        },
                        "credits": {
                          "type": "integer",
                          "minimum": 0
                        },
                        "jobs": {
                          "type": "integer",
                          "minimum": 0
                        }
                      }
                    }
                  },
                  "by_day": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "date",
                        "credits",
                        "jobs"
                      ],
                      "properties": {
                        "date": {
                          "type": "string"
                        },
                        "credits": {
                          "type": "integer",
                          "minimum": 0
                        },
                        "jobs": {
                          "type": "integer",
                          "minimum": 0
                        }
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "BadRequest": {
                "description": "Malformed request or parameter.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Unauthorized": {
                "description": "Missing or invalid X-Api-Key header.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "PaymentRequired": {
                "description": "Insufficient credits.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "NotFound": {
                "description": "No such worker, job or key (or another workspace's).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Conflict": {
                "description": "The resource is in a state that forbids this.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "PayloadTooLarge": {
                "description": "The body is over 1 MiB.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "UnprocessableEntity": {
                "description": "The input fails the worker's input schema, or an Idempotency-Key was reused with another body.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Forbidden": {
                "description": "The API key has the read scope, which allows GET requests only.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "TooManyRequests": {
                "description": "Rate limit exceeded: the key's token bucket (or, without a valid key, the client address's) is empty.",
                "headers": {
                  "Retry-After": {
                    "description": "Whole seconds (at least 1) after which a request succeeds.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  "RateLimit-Limit": {
                    "description": "The bucket's size (the burst).",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  "RateLimit-Remaining": {
                    "description": "Requests left in the bucket.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  },
                  "RateLimit-Reset": {
                    "description": "Seconds until the bucket is full again.",
                    "schema": {
                      "type": "integer",
                      "minimum": 0
                    }
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            },
            "parameters": {
              "SeekVersion": {
                "name": "Seek-Version",
                "in": "header",
                "required": false,
                "schema": {
                  "type": "string",
                  "enum": [
                    "2026-03-16",
                    "2026-01-15"
                  ]
                },
                "description": "API version; 2026-01-15 gives seed 001's job shape."
              },
              "Limit": {
                "name": "limit",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 100
                }
              },
              "Cursor": {
                "name": "cursor",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                }
              },
              "JobUUID": {
                "name": "job_uuid",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                },
                "description": "job_<ULID>"
              },
              "WorkerID": {
                "name": "worker_id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                },
                "examples": {
                  "echo": {
                    "value": "echo"
                  }
                }
              },
              "KeyID": {
                "name": "key_id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                },
                "description": "key_<ULID>"
              }
            }
          }
        }
        """#
}
