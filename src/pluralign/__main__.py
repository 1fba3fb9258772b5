from .cli.app import app

if __name__ == "__main__":  # not when a worker process (vLLM spawns some) imports this module again
    app(prog_name="pluralign")
