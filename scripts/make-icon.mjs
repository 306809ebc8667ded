// Renders resources/icons/icon.png (512 px) from the SVG beside it. Run by hand; the PNG is committed.
import sharp from 'sharp';
await sharp('resources/icons/icon.svg').resize(512, 512).png().toFile('resources/icons/icon.png');
console.log('wrote resources/icons/icon.png');
