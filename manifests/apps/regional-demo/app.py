import os

import gradio as gr

REGION = os.environ.get("REGION", "unknown")
GREETING = os.environ.get("GREETING", "Hello")

with gr.Blocks() as demo:
    gr.Markdown(f"# {GREETING} from region `{REGION}`")
    name = gr.Textbox(label="Name")
    out = gr.Textbox(label="Reply")
    name.submit(lambda n: f"{GREETING}, {n or 'world'} ({REGION})", name, out)

if __name__ == "__main__":
    demo.launch()
