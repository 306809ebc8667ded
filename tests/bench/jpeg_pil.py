# Comparison only (never a runtime dependency): PIL decoding the benchmark's JPEGs with JPEG's DCT
# scaling (`draft`) and then resizing, one file at a time on one core, as the issue measured it.
# Usage: python3 jpeg_pil.py SIZE FILE... ; prints one line of JSON.
import io, json, sys, time
from PIL import Image

size = int(sys.argv[1])
files = sys.argv[2:]
cpu0, wall0 = time.process_time(), time.time()
for f in files:
    with open(f, 'rb') as fh:
        im = Image.open(io.BytesIO(fh.read()))
        im.draft('RGB', (size, size))
        im.convert('RGB').resize((size, size), Image.BILINEAR).tobytes()
cpu, wall = time.process_time() - cpu0, time.time() - wall0
print(json.dumps({'files': len(files), 'wall': wall, 'cpu': cpu}))
