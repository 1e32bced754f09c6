package org.acdajvm.cli;

import java.awt.image.BufferedImage;
import java.util.Map;

/**
 * A 5x7 pixel font for the few characters the bases' PNG labels use. Drawn pixel by pixel, so that
 * the image is the same on every machine and needs no font installed (a headless server often has
 * none, and AWT text rendering then fails or differs).
 */
final class BitmapFont {

    static final int WIDTH = 5;
    static final int HEIGHT = 7;
    /** Horizontal advance per character, in font pixels. */
    static final int ADVANCE = WIDTH + 1;

    private static final Map<Character, String[]> GLYPHS = Map.ofEntries(
            Map.entry('0', new String[] {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "}),
            Map.entry('1', new String[] {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}),
            Map.entry('2', new String[] {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"}),
            Map.entry('3', new String[] {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "}),
            Map.entry('4', new String[] {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "}),
            Map.entry('5', new String[] {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "}),
            Map.entry('6', new String[] {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "}),
            Map.entry('7', new String[] {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "}),
            Map.entry('8', new String[] {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "}),
            Map.entry('9', new String[] {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "}),
            Map.entry('t', new String[] {"  #  ", "  #  ", "#####", "  #  ", "  #  ", "  #  ", "   ##"}),
            Map.entry('L', new String[] {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"}),
            Map.entry('k', new String[] {"#    ", "#    ", "#  # ", "# #  ", "##   ", "# #  ", "#  # "}),
            Map.entry('q', new String[] {"     ", "     ", " ## #", "#  ##", "#   #", " ####", "    #"}),
            Map.entry('c', new String[] {"     ", "     ", " ####", "#    ", "#    ", "#    ", " ####"}),
            Map.entry('o', new String[] {"     ", "     ", " ### ", "#   #", "#   #", "#   #", " ### "}),
            Map.entry('s', new String[] {"     ", "     ", " ####", "#    ", " ### ", "    #", "#### "}),
            Map.entry('i', new String[] {"  #  ", "     ", " ##  ", "  #  ", "  #  ", "  #  ", " ### "}),
            Map.entry('n', new String[] {"     ", "     ", "#### ", "#   #", "#   #", "#   #", "#   #"}),
            Map.entry('u', new String[] {"     ", "     ", "#   #", "#   #", "#   #", "#  ##", " ## #"}),
            Map.entry('e', new String[] {"     ", "     ", " ### ", "#   #", "#####", "#    ", " ### "}),
            Map.entry('d', new String[] {"    #", "    #", " ####", "#   #", "#   #", "#   #", " ####"}),
            Map.entry('r', new String[] {"     ", "     ", "# ## ", "##   ", "#    ", "#    ", "#    "}),
            Map.entry('p', new String[] {"     ", "     ", "#### ", "#   #", "#### ", "#    ", "#    "}),
            Map.entry('z', new String[] {"     ", "     ", "#####", "   # ", "  #  ", " #   ", "#####"}),
            Map.entry('-', new String[] {"     ", "     ", "     ", "#####", "     ", "     ", "     "}),
            Map.entry('+', new String[] {"     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "}),
            Map.entry('.', new String[] {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "}),
            Map.entry('=', new String[] {"     ", "     ", "#####", "     ", "#####", "     ", "     "}),
            Map.entry(' ', new String[] {"     ", "     ", "     ", "     ", "     ", "     ", "     "}));

    private BitmapFont() {
    }

    /** Width in image pixels of {@code text} at {@code scale} image pixels per font pixel. */
    static int width(String text, int scale) {
        return text.isEmpty() ? 0 : (text.length() * ADVANCE - 1) * scale;
    }

    /**
     * Draws {@code text} with its top-left corner at {@code (x, y)}; pixels outside the image are
     * skipped.
     *
     * @throws IllegalArgumentException for a character the font does not have
     */
    static void draw(BufferedImage img, String text, int x, int y, int scale, int rgb) {
        for (int i = 0; i < text.length(); i++) {
            String[] g = GLYPHS.get(text.charAt(i));
            if (g == null) {
                throw new IllegalArgumentException("no glyph for '" + text.charAt(i) + "'");
            }
            int gx = x + i * ADVANCE * scale;
            for (int r = 0; r < HEIGHT; r++) {
                for (int c = 0; c < WIDTH; c++) {
                    if (g[r].charAt(c) != '#') {
                        continue;
                    }
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            int px = gx + c * scale + dx;
                            int py = y + r * scale + dy;
                            if (px >= 0 && py >= 0 && px < img.getWidth() && py < img.getHeight()) {
                                img.setRGB(px, py, rgb);
                            }
                        }
                    }
                }
            }
        }
    }
}
