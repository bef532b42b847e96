import os

import gradio as gr

GREETING = os.environ.get("GREETING", "Hello")


def greet(name: str) -> str:
    return f"{GREETING}, {name or 'world'}!"


demo = gr.Interface(fn=greet, inputs=gr.Textbox(label="Name"), outputs=gr.Textbox(label="Greeting"))

if __name__ == "__main__":
    demo.launch()
