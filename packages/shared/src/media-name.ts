/** A library file's name, checked by the console before anything else and by the host before it writes. */
export const MEDIA_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(iso|img|qcow2|raw)$/;

export const MEDIA_NAME_RULE = "File names may use letters, digits, '.', '_' and '-', and must end in .iso, .img, .qcow2 or .raw";
